{
  "targets": [{
    "target_name": "weft_gloo",
    "sources": ["gloo_binding.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "/usr/include/hiredis"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-O2"],
    "cflags_cc!": ["-fno-exceptions"],
    "libraries": ["-lgloo"]
  }]
}

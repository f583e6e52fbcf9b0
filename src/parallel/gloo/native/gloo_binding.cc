// weft's thin binding to Gloo (Debian's libgloo): a context from a store, and the three
// collectives the TypeScript side needs — sum all-reduce (float32 / float64, in place on the
// array's own memory, a SharedArrayBuffer's included), broadcast and barrier — each with a
// timeout. Gloo's calls block, so every one runs on libuv's thread pool (Napi::AsyncWorker) and
// returns a Promise: the coordinator's event loop never waits on the network. The protocol
// (what is reduced when, who is rank 0, faults) lives in TypeScript; none of it is here.
#include <napi.h>

#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/rendezvous/redis_store.h>
#include <gloo/transport/tcp/device.h>

#include <functional>
#include <memory>

#include "tcp_store.h"

namespace {

using Context = gloo::rendezvous::Context;
using Millis = std::chrono::milliseconds;

// What a JavaScript handle owns: the context (its pairs and the device's loop thread).
struct Group {
  std::shared_ptr<Context> context;
};

using Handle = std::shared_ptr<Group>;

// A blocking call on the thread pool, settled as a Promise. `keep` pins the typed array the
// call reads and writes, so the garbage collector cannot free its memory mid-call.
class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> result = nullptr)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), result_(std::move(result)) {}

  void Keep(Napi::Value v) { keep_ = Napi::Persistent(v); }

  void Execute() override {
    try {
      work_();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown error in Gloo");
    }
  }

  void OnOK() override { deferred_.Resolve(result_ ? result_(Env()) : Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  Napi::Promise Start() {
    auto p = deferred_.Promise();
    Queue();
    return p;
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> result_;
  Napi::Reference<Napi::Value> keep_;
};

Napi::Value Reject(Napi::Env env, const std::string& message) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Reject(Napi::TypeError::New(env, message).Value());
  return d.Promise();
}

std::string StringField(const Napi::Object& o, const char* name) {
  auto v = o.Get(name);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

// A timeout argument: a positive number of milliseconds (0 would mean "wait forever" to Gloo).
bool TimeoutArg(const Napi::Value& v, Millis* out) {
  if (!v.IsNumber()) return false;
  int64_t ms = v.As<Napi::Number>().Int64Value();
  if (ms <= 0) return false;
  *out = Millis(ms);
  return true;
}

int IntField(const Napi::Object& o, const char* name) {
  auto v = o.Get(name);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : 0;
}

// connect({rank, size, timeoutMs, hostname, iface, prefix, store: {kind: 'tcp'|'redis', host, port} | {kind: 'file', path}})
Napi::Value Connect(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!info[0].IsObject()) return Reject(env, "connect expects an options object");
  auto o = info[0].As<Napi::Object>();
  int rank = IntField(o, "rank");
  int size = IntField(o, "size");
  Millis timeout;
  if (!TimeoutArg(o.Get("timeoutMs"), &timeout)) return Reject(env, "connect expects options.timeoutMs > 0");
  if (size < 1 || rank < 0 || rank >= size) return Reject(env, "connect expects 0 <= rank < size");
  gloo::transport::tcp::attr attr;
  attr.hostname = StringField(o, "hostname");
  attr.iface = StringField(o, "iface");
  std::string prefix = StringField(o, "prefix");
  if (!o.Get("store").IsObject()) return Reject(env, "connect expects options.store");
  auto s = o.Get("store").As<Napi::Object>();
  std::string kind = StringField(s, "kind");
  std::string host = StringField(s, "host");
  std::string path = StringField(s, "path");
  int port = IntField(s, "port");
  auto handle = std::make_shared<Group>();
  auto job = new Job(
      env,
      [=]() {
        std::unique_ptr<gloo::rendezvous::Store> base;
        if (kind == "tcp") {
          base = std::make_unique<weft::TcpStore>(host, port, timeout);
        } else if (kind == "redis") {
          base = std::make_unique<gloo::rendezvous::RedisStore>(host, port);
        } else if (kind == "file") {
          base = std::make_unique<gloo::rendezvous::FileStore>(path);
        } else {
          throw std::runtime_error("unknown store kind '" + kind + "'");
        }
        gloo::rendezvous::PrefixStore store(prefix, *base);
        auto device = gloo::transport::tcp::CreateDevice(attr);
        auto context = std::make_shared<Context>(rank, size);
        context->setTimeout(timeout);
        context->connectFullMesh(store, device);
        handle->context = context;
      },
      [handle](Napi::Env e) -> Napi::Value {
        return Napi::External<Handle>::New(e, new Handle(handle), [](Napi::Env, Handle* h) { delete h; });
      });
  return job->Start();
}

// A typed array's element type, length and first element. Through napi_get_typedarray_info, not
// Napi::TypedArray::ArrayBuffer(): that one cannot see a SharedArrayBuffer's memory.
struct View {
  napi_typedarray_type type;
  size_t length;
  void* data;
  size_t bytes;
};

bool ViewOf(Napi::Env env, Napi::Value v, View* out) {
  if (!v.IsTypedArray()) return false;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &out->type, &out->length, &out->data, &buffer, &offset) != napi_ok) return false;
  out->bytes = v.As<Napi::TypedArray>().ByteLength();
  return out->data != nullptr || out->length == 0;
}

// The live context behind a handle, or null (closed, or not a handle) with a JS exception set.
std::shared_ptr<Context> ContextOf(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) return nullptr;
  auto handle = *info[0].As<Napi::External<Handle>>().Data();
  return handle->context;
}

// allreduce(handle, Float32Array | Float64Array, timeoutMs): the elementwise sum over every rank, in place.
Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto context = ContextOf(info);
  if (!context) return Reject(env, "allreduce: the group is closed");
  View view;
  if (!ViewOf(env, info[1], &view) || (view.type != napi_float32_array && view.type != napi_float64_array)) {
    return Reject(env, "allreduce expects a Float32Array or Float64Array");
  }
  Millis timeout;
  if (!TimeoutArg(info[2], &timeout)) return Reject(env, "allreduce expects a timeout > 0 (ms)");
  void* data = view.data;
  size_t n = view.length;
  auto type = view.type;
  auto job = new Job(env, [=]() {
    gloo::AllreduceOptions opts(context);
    opts.setTimeout(timeout);
    if (type == napi_float32_array) {
      opts.setOutput(static_cast<float*>(data), n);
      opts.setReduceFunction(static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<float>));
    } else {
      opts.setOutput(static_cast<double*>(data), n);
      opts.setReduceFunction(static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<double>));
    }
    gloo::allreduce(opts);
  });
  job->Keep(info[1]);
  return job->Start();
}

// broadcast(handle, typedArray, root, timeoutMs): root's bytes into every rank's array.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto context = ContextOf(info);
  if (!context) return Reject(env, "broadcast: the group is closed");
  View view;
  if (!ViewOf(env, info[1], &view)) return Reject(env, "broadcast expects a typed array");
  if (!info[2].IsNumber()) return Reject(env, "broadcast expects a root rank");
  int root = info[2].As<Napi::Number>().Int32Value();
  if (root < 0 || root >= context->size) return Reject(env, "broadcast expects a root rank of the group");
  Millis timeout;
  if (!TimeoutArg(info[3], &timeout)) return Reject(env, "broadcast expects a timeout > 0 (ms)");
  auto data = static_cast<uint8_t*>(view.data);
  size_t bytes = view.bytes;
  auto job = new Job(env, [=]() {
    gloo::BroadcastOptions opts(context);
    opts.setOutput(data, bytes);
    opts.setRoot(root);
    opts.setTimeout(timeout);
    gloo::broadcast(opts);
  });
  job->Keep(info[1]);
  return job->Start();
}

// barrier(handle, timeoutMs)
Napi::Value Barrier(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto context = ContextOf(info);
  if (!context) return Reject(env, "barrier: the group is closed");
  Millis timeout;
  if (!TimeoutArg(info[1], &timeout)) return Reject(env, "barrier expects a timeout > 0 (ms)");
  auto job = new Job(env, [=]() {
    gloo::BarrierOptions opts(context);
    opts.setTimeout(timeout);
    gloo::barrier(opts);
  });
  return job->Start();
}

// close(handle): drops the context (its pairs close once no call in flight holds it).
Napi::Value Close(const Napi::CallbackInfo& info) {
  if (info[0].IsExternal()) (*info[0].As<Napi::External<Handle>>().Data())->context.reset();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("connect", Napi::Function::New(env, Connect));
  exports.Set("allreduce", Napi::Function::New(env, Allreduce));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("barrier", Napi::Function::New(env, Barrier));
  exports.Set("close", Napi::Function::New(env, Close));
  return exports;
}

}  // namespace

NODE_API_MODULE(weft_gloo, Init)

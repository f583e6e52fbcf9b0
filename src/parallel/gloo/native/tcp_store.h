// The client half of weft's rendezvous store: Gloo's Store interface (set / get / wait) over one
// TCP connection to the key-value server that rank 0 runs in JavaScript (src/parallel/gloo/
// store-server.ts, which documents the frames). Debian's Gloo ships File, Hash, Prefix and Redis
// stores but no TCP one; this is PyTorch's TCPStore's role, kept to the three calls Gloo makes.
#pragma once

#include <gloo/rendezvous/store.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace weft {

class TcpStore : public gloo::rendezvous::Store {
 public:
  enum Op : uint8_t { kSet = 1, kGet = 2 };

  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout)
      : where_(host + ":" + std::to_string(port)) {
    // The server is up before any rank gets here (each rank registered through it first), so a
    // refused connection is retried only briefly.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    while (true) {
      fd_ = open(host, port, &last);
      if (fd_ >= 0) break;
      if (std::chrono::steady_clock::now() >= deadline) fail("cannot connect: " + last);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }

  ~TcpStore() override {
    if (fd_ >= 0) close(fd_);
  }

  void set(const std::string& key, const std::vector<char>& data) override { request(kSet, key, data); }

  std::vector<char> get(const std::string& key) override { return request(kGet, key, {}); }

  void wait(const std::vector<std::string>& keys) override {
    for (const auto& k : keys) request(kGet, k, {});
  }

  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds&) override { wait(keys); }

 private:
  static int open(const std::string& host, int port, std::string* why) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc != 0) {
      *why = gai_strerror(rc);
      return -1;
    }
    int fd = -1;
    for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
      fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
      if (fd < 0) continue;
      if (connect(fd, p->ai_addr, p->ai_addrlen) == 0) break;
      *why = std::strerror(errno);
      close(fd);
      fd = -1;
    }
    freeaddrinfo(res);
    return fd;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("rendezvous store at " + where_ + ": " + what);
  }

  void sendAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t k = send(fd_, p, n, MSG_NOSIGNAL);
      if (k <= 0) fail(std::string("send failed: ") + (k == 0 ? "closed" : std::strerror(errno)));
      p += k;
      n -= static_cast<size_t>(k);
    }
  }

  void recvAll(char* p, size_t n) {
    while (n > 0) {
      ssize_t k = recv(fd_, p, n, 0);
      if (k == 0) fail("the server closed the connection (did rank 0 exit?)");
      if (k < 0) fail(errno == EAGAIN || errno == EWOULDBLOCK ? "no reply within the timeout (a rank never arrived?)" : std::string("receive failed: ") + std::strerror(errno));
      p += k;
      n -= static_cast<size_t>(k);
    }
  }

  void sendLength(uint32_t n) {
    uint32_t be = htonl(n);
    sendAll(reinterpret_cast<const char*>(&be), 4);
  }

  // One request frame (op, key, value), one reply frame (status, payload); see store-server.ts.
  std::vector<char> request(Op op, const std::string& key, const std::vector<char>& value) {
    char code = static_cast<char>(op);
    sendAll(&code, 1);
    sendLength(static_cast<uint32_t>(key.size()));
    sendAll(key.data(), key.size());
    sendLength(static_cast<uint32_t>(value.size()));
    sendAll(value.data(), value.size());
    char status = 0;
    recvAll(&status, 1);
    uint32_t be = 0;
    recvAll(reinterpret_cast<char*>(&be), 4);
    std::vector<char> out(ntohl(be));
    recvAll(out.data(), out.size());
    if (status != 0) fail(std::string(out.begin(), out.end()));
    return out;
  }

  std::string where_;
  int fd_ = -1;
};

}  // namespace weft

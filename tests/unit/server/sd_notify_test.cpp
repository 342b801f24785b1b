#include "server/sd_notify.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "pack_test_util.hpp"

namespace si {
namespace {

class NotifySocketEnv {
  public:
    explicit NotifySocketEnv(const char* value) {
        if (const char* old = std::getenv("NOTIFY_SOCKET")) {
            old_ = old;
            had_ = true;
        }
        if (value == nullptr) {
            ::unsetenv("NOTIFY_SOCKET");
        } else {
            ::setenv("NOTIFY_SOCKET", value, 1);
        }
    }
    ~NotifySocketEnv() {
        if (had_) {
            ::setenv("NOTIFY_SOCKET", old_.c_str(), 1);
        } else {
            ::unsetenv("NOTIFY_SOCKET");
        }
    }

  private:
    std::string old_;
    bool had_ = false;
};

TEST(SdNotify, WithoutNotifySocketNothingIsSent) {
    NotifySocketEnv env(nullptr);
    EXPECT_TRUE(notify_systemd("READY=1").ok());
}

TEST(SdNotify, TheStateArrivesAsOneDatagram) {
    test::TempDir t;
    const std::string path = t / "notify";
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    NotifySocketEnv env(path.c_str());
    EXPECT_TRUE(notify_systemd("READY=1").ok());
    char buf[64] = {};
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    ::close(fd);
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "READY=1");
}

TEST(SdNotify, ASocketNobodyListensOnIsAnError) {
    test::TempDir t;
    const std::string path = t / "nobody";
    NotifySocketEnv env(path.c_str());
    const Status st = notify_systemd("READY=1");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find(path), std::string::npos);
    NotifySocketEnv relative("relative/path");
    EXPECT_FALSE(notify_systemd("READY=1").ok());
}

}  // namespace
}  // namespace si

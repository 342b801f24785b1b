#pragma once
// Helpers shared by the packer's unit tests: a temp directory removed on every path, small file
// helpers, and running a function as `nobody` in a child process (root's DAC override would
// otherwise hide permission errors).
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "temp_dir.hpp"

namespace si::test {

inline void write_file(const std::string& path, const std::string& data) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << data;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream o;
    o << in.rdbuf();
    return o.str();
}

// Bytes that compress somewhat, like real files: words from a small vocabulary and noise.
inline std::string mixed_bytes(std::size_t n, unsigned seed) {
    static const char* words[] = {"image ", "tarball ", "torrent ",      "peer ",
                                  "\n",     "0x1f ",    "systemimager ", "cluster "};
    std::string out;
    out.reserve(n);
    unsigned x = seed * 2654435761u + 1;
    while (out.size() < n) {
        x = x * 1103515245u + 12345u;
        if ((x >> 16) % 4 == 0) {
            out += static_cast<char>(x >> 8);
        } else {
            out += words[(x >> 20) % 8];
        }
    }
    out.resize(n);
    return out;
}

inline int run(const std::string& cmd) {
    return std::system(cmd.c_str());
}

// Runs `fn` in a child as uid/gid 65534 with no supplementary groups; returns what it wrote.
inline std::string run_as_nobody(const std::function<std::string()>& fn) {
    int fds[2];
    if (pipe(fds) != 0) {
        return "pipe failed";
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        std::string out = "could not drop privileges";
        if (setgroups(0, nullptr) == 0 && setresgid(65534, 65534, 65534) == 0 &&
            setresuid(65534, 65534, 65534) == 0) {
            out = fn();
        }
        ssize_t n = write(fds[1], out.data(), out.size());
        (void)n;
        _exit(0);
    }
    close(fds[1]);
    std::string out;
    char buf[4096];
    ssize_t n = 0;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return out;
}

}  // namespace si::test

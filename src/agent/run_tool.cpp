#include "run_tool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.hpp"

namespace si {
namespace {

Error tool_error(const std::string& what, const std::string& why) {
    return Error{what + ": " + why, ErrorKind::disk};
}

std::string last_line(const std::string& out) {
    std::size_t end = out.find_last_not_of("\n\r ");
    if (end == std::string::npos) {
        return "(no output)";
    }
    const std::size_t begin = out.rfind('\n', end);
    return out.substr(begin == std::string::npos ? 0 : begin + 1,
                      end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

}  // namespace

Result<std::string> run_tool(const ToolRun& run, const std::string& what) {
    if (run.argv.empty()) {
        return tool_error(what, "no command");
    }
    const std::string& tool = run.argv[0];
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) {
        return tool_error(what, std::string("pipe: ") + std::strerror(errno));
    }
    UniqueFd in_r(in[0]);
    UniqueFd in_w(in[1]);
    if (::pipe2(out, O_CLOEXEC) != 0) {
        return tool_error(what, std::string("pipe: ") + std::strerror(errno));
    }
    UniqueFd out_r(out[0]);
    UniqueFd out_w(out[1]);
    std::vector<char*> argv;
    for (const std::string& a : run.argv) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    // Built before fork(): the child may only make async-signal-safe calls (other threads,
    // e.g. the monitor's, may hold the allocator's lock at the fork).
    std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    std::string lang = "LC_ALL=C";
    std::string home = "HOME=/";
    char* envp[] = {path.data(), lang.data(), home.data(), nullptr};
    const pid_t pid = ::fork();
    if (pid < 0) {
        return tool_error(what, std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        ::dup2(in_r.get(), 0);
        ::dup2(out_w.get(), 1);
        ::dup2(out_w.get(), 2);
        if (!run.chroot_dir.empty() &&
            (::chroot(run.chroot_dir.c_str()) != 0 || ::chdir("/") != 0)) {
            ::_exit(126);
        }
        ::execvpe(argv[0], argv.data(), envp);
        ::_exit(127);
    }
    in_r.reset();
    out_w.reset();
    // Feed the input and read the output together: a tool that writes much before reading
    // all of its input must not block us both.
    std::string output;
    std::size_t written = 0;
    if (run.input.empty()) {
        in_w.reset();
    } else {
        ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
    }
    while (true) {
        pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {in_w ? in_w.get() : -1, POLLOUT, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (in_w && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            const ssize_t n =
                ::write(in_w.get(), run.input.data() + written, run.input.size() - written);
            if (n > 0) {
                written += static_cast<std::size_t>(n);
            }
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                written = run.input.size();  // the tool closed its input: it said why below
            }
            if (written == run.input.size()) {
                in_w.reset();
            }
        }
        if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            char buf[4096];
            const ssize_t n = ::read(out_r.get(), buf, sizeof buf);
            if (n > 0) {
                if (output.size() < (1u << 20)) {
                    output.append(buf, static_cast<std::size_t>(n));
                }
            } else if (n == 0 || errno != EINTR) {
                break;
            }
        }
    }
    in_w.reset();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        return tool_error(what, tool + ": killed by signal " + std::to_string(WTERMSIG(status)));
    }
    const int code = WEXITSTATUS(status);
    if (code == 127 && output.empty()) {
        return tool_error(what,
                          tool + ": not found" +
                              (run.chroot_dir.empty() ? std::string(" (in the initrd)")
                                                      : " in the image (" + run.chroot_dir + ")"));
    }
    if (code == 126 && output.empty() && !run.chroot_dir.empty()) {
        return tool_error(what, "cannot chroot into " + run.chroot_dir);
    }
    if (code != 0) {
        return tool_error(what, tool + ": exit " + std::to_string(code) + ": " + last_line(output));
    }
    return output;
}

}  // namespace si

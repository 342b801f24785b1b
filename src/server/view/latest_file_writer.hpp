#pragma once
// Writes snapshots of one file off the caller's thread (the daemon's io_context must not wait
// for a disk): write() hands the bytes over and returns; a thread of its own writes them
// atomically (atomic_file.hpp). A snapshot handed over while another is written replaces
// any that waits: only the latest is written. The destructor writes what still waits.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/log.hpp"

namespace si {

class LatestFileWriter {
  public:
    LatestFileWriter(std::string path, Logger& log) : path_(std::move(path)), log_(log) {}
    ~LatestFileWriter();
    LatestFileWriter(const LatestFileWriter&) = delete;
    LatestFileWriter& operator=(const LatestFileWriter&) = delete;

    // Failures are logged ("monitor: save <path>: <why>"), once until a write succeeds.
    void write(std::string bytes);

  private:
    void run();

    std::string path_;
    Logger& log_;
    std::mutex mu_;
    std::condition_variable wake_;
    std::optional<std::string> pending_;
    bool closing_ = false;
    bool failing_ = false;
    std::thread worker_;
};

}  // namespace si

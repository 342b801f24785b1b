#pragma once
// The clock seam: code that measures time asks a Clock, so tests and the simulator (sim/) can
// move time by hand instead of sleeping. Used by the tracker's peer store (peer ages) and the
// agent's stall watchdog.
#include <chrono>

namespace si {

class Clock {
  public:
    virtual ~Clock() = default;
    // Monotonic time: peer ages are measured on it.
    virtual std::chrono::steady_clock::time_point now() const = 0;
    // Wall-clock time: saved states carry it, so a restore can age peers across a restart.
    virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

class SystemClock final : public Clock {
  public:
    std::chrono::steady_clock::time_point now() const override {
        return std::chrono::steady_clock::now();
    }
    std::chrono::system_clock::time_point wall_now() const override {
        return std::chrono::system_clock::now();
    }
};

// Starts at an arbitrary fixed point; advance() moves both clocks together.
class ManualClock final : public Clock {
  public:
    std::chrono::steady_clock::time_point now() const override { return steady_; }
    std::chrono::system_clock::time_point wall_now() const override { return wall_; }
    void advance(std::chrono::steady_clock::duration d) {
        steady_ += d;
        wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    }

  private:
    std::chrono::steady_clock::time_point steady_{std::chrono::hours(1000)};
    std::chrono::system_clock::time_point wall_{std::chrono::seconds(1'700'000'000)};
};

}  // namespace si

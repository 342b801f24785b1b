#pragma once
// Repeated log lines collapsed into one with a count, so that a fault seen a thousand times a
// minute (an announce for an old torrent, a full connection table) costs one line a minute:
//   tracker: 10.0.0.7:6881: unknown info_hash ... (and 1467 more like it in the last 60 s)
// Lines are grouped by a kind the caller names ("refused announce"), not by their text, since
// each names its own peer. Pure: times are passed in; log.hpp wires it to the log.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace si {

// A kind's first line is written at once; the next ones within this are counted.
inline constexpr std::chrono::seconds repeat_window{60};

class RepeatLimiter {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit RepeatLimiter(std::chrono::seconds window = repeat_window) : window_(window) {}

    // The line to write now for `line` of `kind` at `now`, or none when it is only counted.
    // The first line after a window with counted ones carries their number:
    // "<line> (and 12 more like it in the last 60 s)".
    std::optional<std::string> admit(std::string_view kind, std::string_view line, TimePoint now);

    // For each kind whose window has ended with lines counted and none written since: its
    // last line, with the count of the others ("<last> (and 11 more like it in the last
    // 60 s)"), so that a burst that stops is still told. Call it now and then, and at exit
    // with `at_exit` true (every kind with counted lines, whatever its window).
    struct Told {
        std::string kind;
        std::string line;
    };
    std::vector<Told> flush(TimePoint now, bool at_exit = false);

  private:
    struct Kind {
        TimePoint window_start{};
        std::uint64_t counted = 0;
        std::string last;
    };
    static std::string with_count(std::string_view line, std::uint64_t others,
                                  std::chrono::steady_clock::duration over);
    std::chrono::seconds window_;
    std::map<std::string, Kind, std::less<>> kinds_;
};

}  // namespace si

#include "common/repeat_limit.hpp"

namespace si {

std::string RepeatLimiter::with_count(std::string_view line, std::uint64_t others,
                                      std::chrono::steady_clock::duration over) {
    std::string out(line);
    if (others > 0) {
        const auto s = std::chrono::duration_cast<std::chrono::seconds>(over).count();
        out += " (and " + std::to_string(others) + " more like it in the last " +
               std::to_string(s < 1 ? 1 : s) + " s)";
    }
    return out;
}

std::optional<std::string> RepeatLimiter::admit(std::string_view kind, std::string_view line,
                                                TimePoint now) {
    auto it = kinds_.find(kind);
    if (it == kinds_.end()) {
        it = kinds_.emplace(std::string(kind), Kind{now, 0, {}}).first;
        return std::string(line);
    }
    Kind& k = it->second;
    if (now - k.window_start < window_) {
        ++k.counted;
        k.last = std::string(line);
        return std::nullopt;
    }
    std::string out = with_count(line, k.counted, now - k.window_start);
    k = Kind{now, 0, {}};
    return out;
}

std::vector<RepeatLimiter::Told> RepeatLimiter::flush(TimePoint now, bool at_exit) {
    std::vector<Told> out;
    for (auto& [name, k] : kinds_) {
        if (k.counted > 0 && (at_exit || now - k.window_start >= window_)) {
            out.push_back({name, with_count(k.last, k.counted - 1, now - k.window_start)});
            k = Kind{now, 0, {}};
        }
    }
    return out;
}

}  // namespace si

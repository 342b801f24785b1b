#include "server/node_view.hpp"

#include <sys/stat.h>

#include "common/file_io.hpp"
#include "server/view/report_auth.hpp"

namespace si {

NodeView::NodeView(boost::asio::io_context& io, MonitorSettings monitor, NetbootSettings netboot,
                   const Clock& clock, DaemonCounters& counters, Logger& log)
    : monitor_(std::move(monitor)),
      clock_(clock),
      node_clock_(clock),
      counters_(counters),
      log_(log),
      writer_(monitor_.state_file, log),
      boot_(std::move(netboot), log),
      save_timer_(io),
      stuck_timer_(io),
      listener_(
          io, [this](const MonitorReport& r, const std::string& from) { on_report(r, from); },
          [this](const std::string& why, const std::string& from) { on_reject(why, from); }) {}

void NodeView::restore() {
    const std::string& path = monitor_.state_file;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > max_nodes_state_bytes) {
        log_.warn("monitor: " + path +
                  " is not a regular file of at most 128 MiB; starting with no nodes");
        return;
    }
    auto text = read_text_file(path);
    if (!text) {
        log_.warn("monitor: " + text.error().message + "; starting with no nodes");
        return;
    }
    if (auto loaded = nodes_.load(*text); !loaded) {
        log_.warn("monitor: ignoring " + path + ": " + loaded.error().message +
                  "; starting with no nodes");
        return;
    }
    log_.info("monitor: restored " + std::to_string(nodes_.nodes().size()) + " node(s) from " +
              path);
    if (const std::int64_t ahead = nodes_.clamp_to(node_clock_.now()); ahead > 0) {
        log_.warn("monitor: " + path + " holds times up to " + std::to_string(ahead) +
                  " s ahead of this clock (it was stepped back since): they are taken as "
                  "now, and the nodes' ages count from here");
    }
}

Status NodeView::load_boot(const NetbootSettings& netboot) {
    return boot_.load(netboot, node_clock_.now());
}

void NodeView::start_listening() {
    schedule_stuck_check();  // restored nodes may turn stuck too
    if (!monitor_.enabled) {
        log_.info("monitor: off (BT_MONITOR=n); the status page shows the tracker only");
        return;
    }
    if (auto st = listener_.start(monitor_.address, monitor_.port); !st) {
        log_.warn(st.error().message +
                  " (SystemImager's si_monitor running? set BT_MONITOR_PORT or "
                  "BT_MONITOR=n); node reports are not received");
        return;
    }
    log_.info("monitor: listening for node reports on " + listener_.address());
}

void NodeView::set_stuck_after(std::int64_t seconds) {
    if (seconds == monitor_.stuck_after_s) {
        return;
    }
    log_.info("monitor: a node silent for " + std::to_string(seconds) +
              " s is stuck (BT_MONITOR_STUCK)");
    monitor_.stuck_after_s = seconds;
}

void NodeView::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    save_timer_.cancel();
    stuck_timer_.cancel();
    listener_.stop();
    if (!nodes_.empty()) {
        writer_.write(nodes_.save());  // written before the writer's destructor returns
    }
}

void NodeView::set_auth_key(const std::string& key) {
    listener_.set_auth_key(key);
}

std::vector<std::string> NodeView::forget(std::string_view what, const std::string& by) {
    auto dropped = nodes_.forget(what);
    for (const auto& key : dropped) {
        stuck_.erase(key);
        log_.info("monitor: forgot node " + key + " (asked by " + by + ")");
    }
    if (!dropped.empty()) {
        schedule_save();
    }
    return dropped;
}

void NodeView::on_report(const MonitorReport& r, const std::string& from) {
    if (stopped_) {
        return;
    }
    const std::string key = node_key(r, from);
    const auto before = nodes_.nodes().find(key);
    const bool was_finished = before != nodes_.nodes().end() && before->second.finished != 0;
    if (!take_report(r.auth, before != nodes_.nodes().end() ? before->second.report.auth : "")) {
        on_reject("monitor report: unauthenticated (BT_MONITOR_KEY) for node " + key +
                      ", whose earlier reports were authenticated",
                  from);
        return;
    }
    if (!nodes_.apply(r, from, node_clock_.now())) {
        on_reject("monitor report: " + std::to_string(max_nodes) +
                      " nodes known already; a new MAC is not taken",
                  from);
        return;
    }
    ++counters_.reports_accepted;
    if (!r.not_utf8.empty()) {
        log_.warn_repeated("monitor: not UTF-8",
                           "monitor: the report of " + key + " from " + from +
                               " has bytes that are not UTF-8 in: " + r.not_utf8 +
                               " (shown with U+FFFD in their place)");
    }
    const NodeRecord& n = nodes_.nodes().at(key);
    boot_.on_report(n.report, node_clock_.now());
    if (n.finished != 0 && !was_finished) {
        // Once per install: when it first reports done or failed.
        const int status = n.report.status.value_or(0);
        const std::string who = (r.host.empty() ? key : r.host + " (" + key + ")") + " at " + from;
        if (status < 0) {
            log_.warn("monitor: " + who + " failed, status " + std::to_string(status) +
                      (n.report.error.empty() ? "" : ": " + n.report.error));
        } else {
            log_.info("monitor: " + who + " reports status " + std::to_string(status) +
                      (proves_install(n.report) ? " with the proof of a whole install"
                                                : " without proof of a whole install"));
        }
    }
    if (stuck_.contains(key)) {
        check_stuck();  // it reported: no longer stuck
    }
    schedule_save();
}

void NodeView::on_reject(const std::string& why, const std::string& from) {
    ++counters_.reports_rejected;
    const auto now = clock_.now();
    if (now - last_reject_log_ < reject_log_interval) {
        ++rejects_unlogged_;
        return;
    }
    last_reject_log_ = now;
    log_.warn(why + " (from " + from + "; dropped" +
              (rejects_unlogged_ > 0
                   ? ", and " + std::to_string(rejects_unlogged_) + " more since the last one"
                   : std::string()) +
              ")");
    rejects_unlogged_ = 0;
}

void NodeView::check_stuck() {
    const std::int64_t now = node_clock_.now();
    for (const auto& [key, n] : nodes_.nodes()) {
        const bool stuck = node_state(n, now, monitor_.stuck_after_s) == NodeState::stuck;
        const std::string who =
            (n.report.host.empty() ? key : n.report.host + " (" + key + ")") + " at " + n.from;
        if (stuck && stuck_.insert(key).second) {
            log_.warn("monitor: " + who + " is stuck: no report for " +
                      std::to_string(age_s(n.last_report, now)) + " s at " +
                      std::to_string(n.report.status.value_or(0)) +
                      " % (BT_MONITOR_STUCK=" + std::to_string(monitor_.stuck_after_s) + ")");
        } else if (!stuck && stuck_.erase(key) > 0) {
            log_.info("monitor: " + who + " reports again; it is " +
                      node_state_name(node_state(n, now, monitor_.stuck_after_s)) + " now");
        }
    }
}

void NodeView::schedule_stuck_check() {
    if (stopped_) {
        return;
    }
    stuck_timer_.expires_after(stuck_check_interval);
    stuck_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            check_stuck();
            schedule_stuck_check();
        }
    });
}

void NodeView::schedule_save() {
    if (save_pending_ || stopped_) {
        return;
    }
    save_pending_ = true;
    save_timer_.expires_after(nodes_save_delay);
    save_timer_.async_wait([this](const boost::system::error_code& ec) {
        save_pending_ = false;
        if (!ec) {
            writer_.write(nodes_.save());
        }
    });
}

StatusInput NodeView::status() {
    StatusInput in;
    in.now = node_clock_.now();
    in.stuck_after_s = monitor_.stuck_after_s;
    in.nodes = &nodes_;
    if (boot_.enabled()) {
        in.listed = &boot_.view(boot_view_max_age);
    }
    return in;
}

}  // namespace si

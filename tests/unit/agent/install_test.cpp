#include "agent/install.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace si {
namespace {

// Steps that only say they ran; one of them can fail, or find the install held.
class FakeSteps final : public InstallSteps {
  public:
    std::string fail_at;  // "" : none fails
    bool held = false;
    std::vector<std::string> calls;
    std::vector<std::string> cleaned;  // the failed steps clean_up() was called with

    StepStatus begin() override { return step("begin"); }
    StepStatus fetch_torrents() override { return step("fetch_torrents"); }
    StepStatus plan_layout() override { return step("plan_layout"); }
    StepStatus check_already_installed(bool& h) override {
        h = held;
        return step("check_already_installed");
    }
    StepStatus prepare_disks() override { return step("prepare_disks"); }
    StepStatus stage() override { return step("stage"); }
    StepStatus download_and_unpack() override { return step("download_and_unpack"); }
    StepStatus finish_disks() override { return step("finish_disks"); }
    StepStatus complete() override { return step("complete"); }
    void clean_up(const StepFailure& f) override { cleaned.push_back(f.step); }

  private:
    StepStatus step(const std::string& name) {
        calls.push_back(name);
        if (name == fail_at) {
            return StepFailure{name, Error{"it broke", ErrorKind::io}};
        }
        return std::nullopt;
    }
};

const std::vector<std::string> into_a_root = {
    "begin", "fetch_torrents",      "check_already_installed",
    "stage", "download_and_unpack", "complete"};
const std::vector<std::string> onto_blank_disks = {
    "begin",         "fetch_torrents", "plan_layout",         "check_already_installed",
    "prepare_disks", "stage",          "download_and_unpack", "finish_disks",
    "complete"};

TEST(RunInstall, IntoAPreparedRootRunsTheStepsInOrder) {
    FakeSteps s;
    EXPECT_FALSE(run_install(s, false).has_value());
    EXPECT_EQ(s.calls, into_a_root);
    EXPECT_TRUE(s.cleaned.empty());
}

TEST(RunInstall, OntoBlankDisksPlansBeforeTheCheckAndPreparesAfterIt) {
    FakeSteps s;
    EXPECT_FALSE(run_install(s, true).has_value());
    EXPECT_EQ(s.calls, onto_blank_disks);
    EXPECT_TRUE(s.cleaned.empty());
}

TEST(RunInstall, AHeldInstallStopsAfterTheCheckWithNothingWritten) {
    for (bool blank : {false, true}) {
        FakeSteps s;
        s.held = true;
        EXPECT_FALSE(run_install(s, blank).has_value());
        ASSERT_FALSE(s.calls.empty());
        EXPECT_EQ(s.calls.back(), "check_already_installed") << blank;
        EXPECT_TRUE(s.cleaned.empty());
    }
}

// Each step in turn fails: nothing after it runs, clean_up() runs once with that failure,
// and the failure (its step and its error's kind, the exit code) comes back.
TEST(RunInstall, EachFailureStopsTheInstallAndIsCleanedUpOnce) {
    for (bool blank : {false, true}) {
        const auto& order = blank ? onto_blank_disks : into_a_root;
        for (std::size_t i = 0; i < order.size(); ++i) {
            FakeSteps s;
            s.fail_at = order[i];
            const StepStatus failed = run_install(s, blank);
            ASSERT_TRUE(failed.has_value()) << order[i];
            EXPECT_EQ(failed->step, order[i]);
            EXPECT_EQ(failed->error.kind, ErrorKind::io);
            EXPECT_EQ(s.calls, std::vector<std::string>(order.begin(), order.begin() + i + 1));
            EXPECT_EQ(s.cleaned, std::vector<std::string>{order[i]});
        }
    }
}

}  // namespace
}  // namespace si

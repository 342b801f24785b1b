#include "server/boot/boot_decision.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

MonitorReport verified(const std::string& image) {
    MonitorReport r;
    r.mac = "52:54:00:12:34:01";
    r.os = image;
    r.status = report_status::imaged;
    r.pieces_verified = 40;
    r.pieces_total = 40;
    r.archive_end = true;
    r.overrides_applied = 1;
    r.overrides_fetched = 1;
    r.entries = 100;
    r.bytes = 1000;
    return r;
}

ListedNode listed() {
    ListedNode n;
    n.hostname = "node01";
    n.mac = "52:54:00:12:34:01";
    n.image = "debian12";
    return n;
}

BootFileState file(BootMode mode, const std::string& image) {
    BootFileState st;
    st.exists = true;
    st.header = BootFileHeader{mode, image, "node01", 1, "si_btd"};
    return st;
}

TEST(BootDecision, AVerifiedInstallOfTheImageItsFileInstallsSwitchesToLocal) {
    const ListedNode n = listed();
    EXPECT_TRUE(decide_boot_after_report(verified("debian12"), &n,
                                         file(BootMode::install, "debian12"), true)
                    .switch_to_local);
    // A listed node without a file yet: the nodes file's image is its target.
    EXPECT_TRUE(
        decide_boot_after_report(verified("debian12"), &n, BootFileState{}, true).switch_to_local);
    // Any status from imaged to shutdown is an install that ended.
    MonitorReport r = verified("debian12");
    r.status = report_status::rebooting;
    EXPECT_TRUE(
        decide_boot_after_report(r, &n, file(BootMode::install, "debian12"), true).switch_to_local);
}

TEST(BootDecision, InstallingOrFailedNodesKeepTheirInstallEntry) {
    const ListedNode n = listed();
    for (int status : {0, 50, 99, -8, -12}) {
        MonitorReport r = verified("debian12");
        r.status = status;
        const BootDecision d =
            decide_boot_after_report(r, &n, file(BootMode::install, "debian12"), true);
        EXPECT_FALSE(d.switch_to_local) << status;
        EXPECT_EQ(d.why, "") << status;
    }
}

TEST(BootDecision, NothingIsSwitchedWithoutEveryCondition) {
    const ListedNode n = listed();
    struct Case {
        MonitorReport r;
        const ListedNode* listed;
        BootFileState file;
        bool local;
        const char* why;
    };
    MonitorReport no_proof = verified("debian12");
    no_proof.archive_end = false;
    MonitorReport partial = verified("debian12");
    partial.pieces_verified = 39;
    MonitorReport overrides = verified("debian12");
    overrides.overrides_applied = 0;
    BootFileState foreign;
    foreign.exists = true;
    const Case cases[] = {
        {verified("debian12"), nullptr, {}, true, "not in the nodes file"},
        {verified("debian12"), &n, file(BootMode::install, "debian12"), false,
         "NET_BOOT_DEFAULT = net"},
        {verified("debian12"), &n, foreign, true, "not written by si_btd"},
        {no_proof, &n, file(BootMode::install, "debian12"), true, "without the proof"},
        {partial, &n, file(BootMode::install, "debian12"), true, "without the proof"},
        {overrides, &n, file(BootMode::install, "debian12"), true, "without the proof"},
        {verified("debian11"), &n, file(BootMode::install, "debian12"), true,
         "installed image 'debian11', but its boot file installs 'debian12'"},
        // si_btreimage sent it to another image than the nodes file names: the file wins.
        {verified("debian12"), &n, file(BootMode::install, "rocky9"), true,
         "its boot file installs 'rocky9'"},
    };
    for (const Case& c : cases) {
        const BootDecision d = decide_boot_after_report(c.r, c.listed, c.file, c.local);
        EXPECT_FALSE(d.switch_to_local) << c.why;
        EXPECT_NE(d.why.find(c.why), std::string::npos) << d.why << " / " << c.why;
    }
}

TEST(BootDecision, ANodeAlreadyOnLocalBootIsLeftQuietly) {
    const ListedNode n = listed();
    const BootDecision d =
        decide_boot_after_report(verified("debian12"), &n, file(BootMode::local, "debian12"), true);
    EXPECT_FALSE(d.switch_to_local);
    EXPECT_EQ(d.why, "");
}

}  // namespace
}  // namespace si

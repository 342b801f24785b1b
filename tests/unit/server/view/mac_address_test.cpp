#include "server/view/mac_address.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TEST(NormalizeMac, EverySpellingNodesAndAdministratorsUseGivesOneForm) {
    for (const char* s : {"52:54:00:AB:cd:01", "52-54-00-ab-cd-01", "52.54.00.ab.cd.01",
                          "525400abcd01", "525400ABCD01"}) {
        EXPECT_EQ(normalize_mac(s).value_or("?"), "52:54:00:ab:cd:01") << s;
    }
}

TEST(NormalizeMac, RefusesWhatIsNotSixHexPairs) {
    for (const char* s :
         {"", "52:54:00:ab:cd", "52:54:00:ab:cd:0g", "52:54-00:ab:cd:01", "52:54:00:ab:cd:01:02",
          "5254.00ab.cd01", "52_54_00_ab_cd_01", "525400abcd0"}) {
        EXPECT_FALSE(normalize_mac(s)) << s;
    }
}

TEST(PxelinuxMacFileName, IsArpTypeOneThenTheMacWithDashes) {
    EXPECT_EQ(pxelinux_mac_file_name("52:54:00:ab:cd:01"), "01-52-54-00-ab-cd-01");
}

}  // namespace
}  // namespace si

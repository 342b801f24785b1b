// The server programs' table from error kinds to the exit codes of si_btd(8),
// si_installbtimage(8) and si_btstatus(8).
#include "server/exit_codes.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TEST(ServerExitCodes, KindsTheManPagesNameGetTheirCodes) {
    EXPECT_EQ(exit_code::code_for(ErrorKind::usage), 2);
    EXPECT_EQ(exit_code::code_for(ErrorKind::config), 3);
    EXPECT_EQ(exit_code::code_for(ErrorKind::address), 4);
    EXPECT_EQ(exit_code::code_for(ErrorKind::bind), 5);
    EXPECT_EQ(exit_code::code_for(ErrorKind::already_running), 7);
    EXPECT_EQ(exit_code::code_for(ErrorKind::unreachable), 8);
}

TEST(ServerExitCodes, IoErrorsOutsideAPackAreInternalErrors) {
    // 6 is si_installbtimage's "a pack failed", decided by the job's outcome, not the kind:
    // a pidfile that cannot be written is not a failed pack.
    EXPECT_EQ(exit_code::code_for(ErrorKind::io), exit_code::failure);
    EXPECT_EQ(exit_code::code_for(ErrorKind::no_space), exit_code::failure);
    EXPECT_EQ(exit_code::code_for(ErrorKind::internal), exit_code::failure);
}

TEST(ServerExitCodes, TheAgentsKindsAreInternalErrorsHere) {
    for (ErrorKind k : {ErrorKind::not_found, ErrorKind::bad_data, ErrorKind::stalled,
                        ErrorKind::unpack, ErrorKind::disk}) {
        EXPECT_EQ(exit_code::code_for(k), exit_code::failure) << static_cast<int>(k);
    }
}

}  // namespace
}  // namespace si

// si_btagent's table from error kinds to the exit codes of si_btagent(8), which initrd/init
// reads to tell the operator what went wrong.
#include "agent/exit_codes.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

TEST(AgentExitCodes, EachKindGetsItsDocumentedCode) {
    EXPECT_EQ(agent_exit::code_for(ErrorKind::usage), 2);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::config), 4);  // the kernel command line
    EXPECT_EQ(agent_exit::code_for(ErrorKind::unreachable), 5);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::not_found), 6);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::bad_data), 7);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::stalled), 8);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::no_space), 9);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::unpack), 10);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::io), 11);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::superseded), 13);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::disk), 12);
    EXPECT_EQ(agent_exit::code_for(ErrorKind::untrusted), 14);
}

TEST(AgentExitCodes, TheServersKindsAreInternalErrorsHere) {
    for (ErrorKind k :
         {ErrorKind::internal, ErrorKind::address, ErrorKind::bind, ErrorKind::already_running}) {
        EXPECT_EQ(agent_exit::code_for(k), agent_exit::failure) << static_cast<int>(k);
    }
}

TEST(AgentExitCodes, AFullFilesystemIsNoSpaceWhateverWroteToIt) {
    EXPECT_EQ(agent_exit::code_for(io_error_kind(ENOSPC)), agent_exit::no_space);
    EXPECT_EQ(agent_exit::code_for(io_error_kind(EDQUOT)), agent_exit::no_space);
    EXPECT_EQ(agent_exit::code_for(io_error_kind(EACCES)), agent_exit::io);
}

}  // namespace
}  // namespace si

// Two helpers libtorrent's simulated disk (simulation/disk_io.cpp) takes from its test suite's
// simulation/utils.cpp, which brings the whole test harness with it: random hashes, used only
// when the disk is told to send corrupt data (si_sim never asks it to).
#include <libtorrent/random.hpp>
#include <libtorrent/sha1_hash.hpp>

lt::sha256_hash rand_sha256();
lt::sha1_hash rand_sha1();

lt::sha256_hash rand_sha256() {
    lt::sha256_hash h;
    lt::aux::random_bytes(h);
    return h;
}

lt::sha1_hash rand_sha1() {
    lt::sha1_hash h;
    lt::aux::random_bytes(h);
    return h;
}

#include "server/seed/foreign_client_plugin.hpp"

#include <string_view>

#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_info.hpp>

#include "server/seed/seeder_policy.hpp"

#ifdef SI_LT_SUPER_SEED_OFFER
#include <libtorrent/peer_connection.hpp>
#endif

namespace si {
namespace {

#ifdef SI_LT_SUPER_SEED_OFFER
// One connection. Runs on libtorrent's network thread.
class ForeignClientPeer final : public lt::peer_plugin {
  public:
    ForeignClientPeer(lt::peer_connection_handle peer, const std::string& name, Logger& log)
        : peer_(std::move(peer)), name_(name), log_(log) {}

    // The remote peer id and reserved bits are known here, and the seeder has not yet written
    // its bitfield (bt_peer_connection writes it after the plugins saw the handshake).
    bool on_handshake(lt::span<const char> reserved) override {
        const lt::peer_id& pid = peer_.pid();
        if (super_seeds_peer(std::string_view(pid.data(), pid.size()))) {
            return false;  // an agent: nothing more to look at on this connection
        }
        // BEP 10: byte 5, bit 0x10. A client without the extension protocol (ctorrent) gets
        // a full bitfield now. One with it learns from HAVE messages right after its extension
        // handshake: transmission-cli 3.00 sent its first request 10 s later after a
        // HAVE_ALL (BEP 6) than after HAVE messages (bench/interop_bench.py).
        const bool extensions = reserved.size() > 5 && (reserved[5] & 0x10) != 0;
        if (!extensions) {
            serve_normally();
            return false;
        }
        foreign_ = true;
        return true;
    }

    bool on_extension_handshake(const lt::bdecode_node&) override {
        if (foreign_) {
            serve_normally();
        }
        return true;
    }

    // A client that announced the extension protocol but sent no extension handshake.
    void tick() override {
        if (foreign_ && ++ticks_ >= 2) {
            serve_normally();
        }
    }

  private:
    void serve_normally() {
        if (done_) {
            return;
        }
        done_ = true;
        std::shared_ptr<lt::peer_connection> connection = peer_.native_handle();
        if (!connection) {
            return;
        }
        connection->end_super_seeding();
        lt::peer_info info;
        connection->get_peer_info(info);
        const lt::tcp::endpoint from = peer_.remote();
        log_.info("seeder: " + name_ + ": " + from.address().to_string() + ":" +
                  std::to_string(from.port()) +
                  (info.client.empty() ? "" : " (" + info.client + ")") +
                  " is not si_btagent: seeding it normally, every piece on offer");
    }

    lt::peer_connection_handle peer_;
    std::string name_;
    Logger& log_;
    bool foreign_ = false;  // not an agent, and it speaks the extension protocol
    bool done_ = false;
    int ticks_ = 0;
};

class ForeignClientTorrent final : public lt::torrent_plugin {
  public:
    ForeignClientTorrent(std::string name, Logger& log) : name_(std::move(name)), log_(log) {}

    std::shared_ptr<lt::peer_plugin> new_connection(
        const lt::peer_connection_handle& peer) override {
        return std::make_shared<ForeignClientPeer>(peer, name_, log_);
    }

  private:
    std::string name_;
    Logger& log_;
};
#endif

}  // namespace

std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
foreign_client_plugin(std::string name, Logger& log) {
    return
        [name = std::move(name), &log](const lt::torrent_handle&,
                                       lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
#ifdef SI_LT_SUPER_SEED_OFFER
            return std::make_shared<ForeignClientTorrent>(name, log);
#else
            (void)log;
            return nullptr;
#endif
        };
}

}  // namespace si

#include "server/seed/wanted_pieces_plugin.hpp"

#include <libtorrent/bitfield.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/peer_connection_handle.hpp>

#include "common/wanted_pieces_message.hpp"

namespace si {
namespace {

#ifdef SI_LT_SUPER_SEED_WANTED
// One connection: its handshake names the message, its si_wanted messages reach the
// super-seeder. Runs on libtorrent's network thread.
class WantedPiecesPeer final : public lt::peer_plugin {
  public:
    WantedPiecesPeer(lt::peer_connection_handle peer, const std::string& name, int num_pieces,
                     Logger& log)
        : peer_(std::move(peer)), name_(name), num_pieces_(num_pieces), log_(log) {}

    lt::string_view type() const override { return wanted_pieces_extension; }

    void add_handshake(lt::entry& handshake) override {
        handshake["m"][wanted_pieces_extension] = wanted_pieces_extension_id;
    }

    bool on_extended(int length, int msg, lt::span<const char> body) override {
        if (msg != wanted_pieces_extension_id) {
            return false;
        }
        // Called once per received fragment; the body is whole on the last call.
        if (static_cast<int>(body.size()) < length) {
            return true;
        }
        auto wanted =
            decode_wanted_pieces(std::span<const char>(body.data(), body.size()), num_pieces_);
        const lt::tcp::endpoint from = peer_.remote();
        const std::string who =
            name_ + ": " + from.address().to_string() + ":" + std::to_string(from.port());
        if (!wanted) {
            // Not for this torrent: the peer keeps every piece on offer, as before.
            log_.warn("seeder: " + who + " sent a wanted-pieces message of " +
                      std::to_string(body.size()) + " bytes, not one bit per piece of " +
                      std::to_string(num_pieces_) + ": ignored");
            return true;
        }
        lt::typed_bitfield<lt::piece_index_t> bits(num_pieces_);
        int count = 0;
        for (int i = 0; i < num_pieces_; ++i) {
            if ((*wanted)[static_cast<std::size_t>(i)]) {
                bits.set_bit(lt::piece_index_t{i});
                ++count;
            }
        }
        peer_.set_super_seed_wanted(bits);
        log_.info("seeder: " + who + " wants " + std::to_string(count) + " of " +
                  std::to_string(num_pieces_) + " pieces");
        return true;
    }

  private:
    lt::peer_connection_handle peer_;
    std::string name_;
    int num_pieces_;
    Logger& log_;
};

class WantedPiecesTorrent final : public lt::torrent_plugin {
  public:
    WantedPiecesTorrent(std::string name, int num_pieces, Logger& log)
        : name_(std::move(name)), num_pieces_(num_pieces), log_(log) {}

    std::shared_ptr<lt::peer_plugin> new_connection(
        const lt::peer_connection_handle& peer) override {
        return std::make_shared<WantedPiecesPeer>(peer, name_, num_pieces_, log_);
    }

  private:
    std::string name_;
    int num_pieces_;
    Logger& log_;
};
#endif

}  // namespace

std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
wanted_pieces_plugin(std::string name, int num_pieces, Logger& log) {
    return
        [name = std::move(name), num_pieces, &log](
            const lt::torrent_handle&, lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
#ifdef SI_LT_SUPER_SEED_WANTED
            return std::make_shared<WantedPiecesTorrent>(name, num_pieces, log);
#else
            (void)num_pieces;
            (void)log;
            return nullptr;
#endif
        };
}

}  // namespace si

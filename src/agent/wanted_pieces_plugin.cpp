#include "agent/wanted_pieces_plugin.hpp"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/peer_connection_handle.hpp>

#include "common/wanted_pieces_message.hpp"

namespace si {

void WantedPieces::publish(const std::vector<lt::download_priority_t>& priorities) {
    std::vector<bool> wanted(priorities.size());
    for (std::size_t i = 0; i < priorities.size(); ++i) {
        wanted[i] = priorities[i] != lt::dont_download;
    }
    std::string payload = encode_wanted_pieces(wanted);
    std::lock_guard lock(mu_);
    if (version_ > 0 && payload == payload_) {
        return;
    }
    payload_ = std::move(payload);
    ++version_;
}

std::optional<std::string> WantedPieces::newer_than(std::uint64_t& seen) const {
    std::lock_guard lock(mu_);
    if (version_ == 0 || version_ == seen) {
        return std::nullopt;
    }
    seen = version_;
    return payload_;
}

namespace {

// One connection. Runs on libtorrent's network thread: sends once the peer named si_wanted,
// then on each tick (about once a second) if what is wanted changed.
class WantedPiecesPeer final : public lt::peer_plugin {
  public:
    WantedPiecesPeer(lt::peer_connection_handle peer, std::shared_ptr<const WantedPieces> wanted)
        : peer_(std::move(peer)), wanted_(std::move(wanted)) {}

    lt::string_view type() const override { return wanted_pieces_extension; }

    bool on_extension_handshake(const lt::bdecode_node& handshake) override {
        const lt::bdecode_node m = handshake.dict_find_dict("m");
        const std::int64_t id = m ? m.dict_find_int_value(wanted_pieces_extension, 0) : 0;
        id_ = id > 0 && id < 256 ? static_cast<int>(id) : 0;
        send_if_changed();
        return true;
    }

    void tick() override { send_if_changed(); }

  private:
    void send_if_changed() {
        if (id_ == 0 || peer_.is_disconnecting()) {
            return;
        }
        if (auto payload = wanted_->newer_than(sent_)) {
            const std::string message = extended_message(id_, *payload);
            peer_.send_buffer(message.data(), static_cast<int>(message.size()));
        }
    }

    lt::peer_connection_handle peer_;
    std::shared_ptr<const WantedPieces> wanted_;
    int id_ = 0;              // the id the peer named si_wanted under; 0: it did not
    std::uint64_t sent_ = 0;  // the version of what was sent last
};

class WantedPiecesTorrent final : public lt::torrent_plugin {
  public:
    explicit WantedPiecesTorrent(std::shared_ptr<const WantedPieces> wanted)
        : wanted_(std::move(wanted)) {}

    std::shared_ptr<lt::peer_plugin> new_connection(
        const lt::peer_connection_handle& peer) override {
        return std::make_shared<WantedPiecesPeer>(peer, wanted_);
    }

  private:
    std::shared_ptr<const WantedPieces> wanted_;
};

}  // namespace

std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
wanted_pieces_plugin(std::shared_ptr<const WantedPieces> wanted) {
    return [wanted = std::move(wanted)](const lt::torrent_handle&,
                                        lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
        return std::make_shared<WantedPiecesTorrent>(wanted);
    };
}

}  // namespace si

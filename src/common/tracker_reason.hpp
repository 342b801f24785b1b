#pragma once
// Words the image server's tracker and the agent agree on. Server and agent share only
// src/common, so the phrase lives here.
#include <string_view>

namespace si {

// The failure reason si_btd's tracker answers an announce for an info-hash it does not serve
// ends with this (tracker_service.cpp): "unknown info_hash <hex>: not served by this
// tracker". An agent that hears it while installing knows the image was repacked or dropped
// since it fetched the .torrent (transfer_alerts.hpp), and stops at once instead of waiting
// for pieces that no one will send.
inline constexpr std::string_view not_served_reason = "not served by this tracker";

}  // namespace si

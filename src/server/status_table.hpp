#pragma once
// si_btstatus's table: si_btd's /status.json (status_view.hpp) as text for a terminal, one
// row per node with a progress bar, the nodes that need the operator first (failed, stuck,
// unverified, installing, done). Pure: the text of the document in, the text of the screen out.
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

struct TableOptions {
    int width = 100;     // terminal columns; the proof/error column is cut to fit
    bool color = false;  // ANSI colours for the states
    std::string image;   // only nodes of this image ("" = all)
    std::string state;   // only nodes in this state ("" = all)
    std::string url;     // shown in the heading
};

// Fails with "not a si_btd status document: <why>" when the text is not JSON of
// status_schema_version 1.
Result<std::string> render_status_table(std::string_view status_json, const TableOptions& opt);

}  // namespace si

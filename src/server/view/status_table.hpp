#pragma once
// si_btstatus's table: si_btd's /status.json (status_view.hpp) as text for a terminal, one
// row per node with a progress bar, the nodes that need the operator first (failed, stuck,
// unverified, installing, done). Pure: the text of the document in, the text of the screen out.
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace si {

struct TableOptions {
    // Terminal columns: the proof/error column is cut to fit; under about 144 the narrow
    // table (no MAC and address columns; proof or error on a line of its own) fits 80.
    // 0: no limit (a pipe or a file gets every line whole).
    int width = 100;
    bool color = false;  // ANSI colours for the states
    std::string image;   // only nodes of this image ("" = all)
    std::string state;   // only nodes in this state ("" = all)
    std::string url;     // shown in the heading
};

// Fails with "not a si_btd status document: <why>" when the text is not JSON of
// status_schema_version 1.
Result<std::string> render_status_table(std::string_view status_json, const TableOptions& opt);

}  // namespace si

#include "server/view/report_auth.hpp"

namespace si {

bool take_report(std::string_view auth, std::string_view recorded_auth) {
    return report_trusted(auth) || recorded_auth != "ok";
}

}  // namespace si

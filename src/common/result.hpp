#pragma once
// A value or an error message, for library code that must not throw across components.
#include <string>
#include <utility>
#include <variant>

namespace si {

struct Error {
    std::string message;  // one line, with context: "open /x: No such file or directory"
    int exit_code = 1;    // what a main() should return for it (exit_codes.hpp)
};

template <typename T>
class Result {
  public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}  // NOLINT

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

// For operations with nothing to return.
struct Ok {};
using Status = Result<Ok>;

}  // namespace si

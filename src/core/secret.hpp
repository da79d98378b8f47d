// SecretBytes: the owner of private key material and other secrets.
//
// Move-only, so a secret is never silently duplicated; the buffer is wiped (explicit_bzero,
// which the compiler may not elide) when the owner dies or is moved-over. There is deliberately
// no operator<<, no fmt formatter, no implicit conversion and no operator==: the bytes are only
// reachable through reveal()/revealText(), which makes every use visible in review and greppable.
// Storage is a fixed heap block, not a std::vector, because a growing vector would leave
// unwiped copies behind in freed memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

namespace daneguard {

class SecretBytes {
 public:
  SecretBytes() = default;

  /// `capacity` zero bytes; size() starts equal to capacity (use shrinkTo after a short read).
  explicit SecretBytes(std::size_t capacity)
      : bytes_(capacity > 0 ? std::make_unique<std::uint8_t[]>(capacity) : nullptr),
        size_(capacity),
        capacity_(capacity) {}

  static SecretBytes copyOf(std::span<const std::uint8_t> source) {
    SecretBytes secret(source.size());
    if (!source.empty()) std::memcpy(secret.bytes_.get(), source.data(), source.size());
    return secret;
  }
  static SecretBytes copyOf(std::string_view source) {
    return copyOf(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(source.data()), source.size()));
  }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept
      : bytes_(std::move(other.bytes_)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  /// The secret itself. Named so that every place touching it stands out.
  [[nodiscard]] std::span<const std::uint8_t> reveal() const { return {bytes_.get(), size_}; }
  [[nodiscard]] std::span<std::uint8_t> revealMutable() { return {bytes_.get(), size_}; }
  [[nodiscard]] std::string_view revealText() const {
    return {reinterpret_cast<const char*>(bytes_.get()), size_};
  }

  /// Drops the tail beyond `new_size` (wiping it); a no-op when new_size >= size().
  void shrinkTo(std::size_t new_size) {
    if (new_size >= size_) return;
    explicit_bzero(bytes_.get() + new_size, size_ - new_size);
    size_ = new_size;
  }

 private:
  void wipe() noexcept {
    if (bytes_) explicit_bzero(bytes_.get(), capacity_);
    size_ = 0;
  }

  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace daneguard

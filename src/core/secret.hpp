// SecretBytes: the owner of private key material and other secrets.
//
// Move-only, so a secret is never silently duplicated; the buffer is wiped (explicit_bzero,
// which the compiler may not elide) when the owner dies or is moved-over. There is deliberately
// no operator<<, no fmt formatter, no implicit conversion and no operator==: the bytes are only
// reachable through reveal()/revealText(), which makes every use visible in review and greppable.
// The storage vector is sized once at construction and never grown: growth would reallocate
// and leave an unwiped copy behind in freed memory. size_ may shrink below it (shrinkTo).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace daneguard {

class SecretBytes {
 public:
  SecretBytes() = default;

  /// `capacity` zero bytes; size() starts equal to capacity (use shrinkTo after a short read).
  explicit SecretBytes(std::size_t capacity) : storage_(capacity, 0), size_(capacity) {}

  static SecretBytes copyOf(std::span<const std::uint8_t> source) {
    SecretBytes secret(source.size());
    if (!source.empty()) std::memcpy(secret.storage_.data(), source.data(), source.size());
    return secret;
  }
  static SecretBytes copyOf(std::string_view source) {
    return copyOf(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(source.data()), source.size()));
  }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  // A moved vector hands over its buffer (no copy); the source is left empty.
  SecretBytes(SecretBytes&& other) noexcept
      : storage_(std::move(other.storage_)), size_(std::exchange(other.size_, 0)) {
    other.storage_.clear();
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      storage_ = std::move(other.storage_);
      size_ = std::exchange(other.size_, 0);
      other.storage_.clear();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  /// The secret itself. Named so that every place touching it stands out.
  [[nodiscard]] std::span<const std::uint8_t> reveal() const { return {storage_.data(), size_}; }
  [[nodiscard]] std::span<std::uint8_t> revealMutable() { return {storage_.data(), size_}; }
  [[nodiscard]] std::string_view revealText() const {
    return {reinterpret_cast<const char*>(storage_.data()), size_};
  }

  /// Drops the tail beyond `new_size` (wiping it); a no-op when new_size >= size().
  void shrinkTo(std::size_t new_size) {
    if (new_size >= size_) return;
    explicit_bzero(storage_.data() + new_size, size_ - new_size);
    size_ = new_size;
  }

 private:
  void wipe() noexcept {
    if (!storage_.empty()) explicit_bzero(storage_.data(), storage_.size());
    size_ = 0;
  }

  std::vector<std::uint8_t> storage_;
  std::size_t size_ = 0;
};

}  // namespace daneguard

#include "adapters/dns/tsig_key.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "adapters/files/bounded_file.hpp"

namespace daneguard::adapters::dns {
namespace {

std::string lowerCase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isBase64Character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
}

// Key files are tiny; the bound only keeps a wrong path from being slurped.
Result<SecretBytes> readKeyFile(const std::filesystem::path& path, std::string_view what) {
  return files::readBoundedFile(
      path,
      {.max_bytes = std::size_t{64} * 1024, .what = what, .content_error_kind = ErrorKind::Config});
}

void wipeString(std::string& text) noexcept {
  if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

// ---- BIND key file tokenizer ----------------------------------------------------------------

struct Token {
  enum class Kind { Word, Quoted, Punctuation, End } kind = Kind::End;
  std::string text;
  int line = 1;
};

class KeyFileLexer {
 public:
  KeyFileLexer(std::string_view text, std::string origin)
      : text_(text), origin_(std::move(origin)) {}

  Result<Token> next() {
    if (auto skipped = skipSpaceAndComments(); !skipped) return fail(skipped.error());
    if (pos_ >= text_.size()) return Token{Token::Kind::End, "", line_};
    const char c = text_[pos_];
    if (c == '{' || c == '}' || c == ';') {
      ++pos_;
      return Token{Token::Kind::Punctuation, std::string(1, c), line_};
    }
    if (c == '"') return quotedString();
    return word();
  }

  tl::unexpected<Error> error(int line, std::string_view why) const {
    return fail(ErrorKind::Config, origin_ + ":" + std::to_string(line) + ": " + std::string(why));
  }

 private:
  // BIND accepts '#', '//' and '/* */' comments; only an unclosed block comment is an error.
  Result<void> skipSpaceAndComments() {
    for (;;) {
      skipWhitespace();
      if (pos_ >= text_.size()) return {};
      const char c = text_[pos_];
      if (c == '#' || (c == '/' && peek(1) == '/')) {
        skipToEndOfLine();
      } else if (c == '/' && peek(1) == '*') {
        if (auto closed = skipBlockComment(); !closed) return closed;
      } else {
        return {};
      }
    }
  }

  void skipWhitespace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
  }

  void skipToEndOfLine() {
    while (pos_ < text_.size() && text_[pos_] != '\n')
      ++pos_;
  }

  Result<void> skipBlockComment() {
    const int start_line = line_;
    pos_ += 2;
    while (pos_ < text_.size() && !(text_[pos_] == '*' && peek(1) == '/')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return error(start_line, "comment opened here is never closed");
    pos_ += 2;
    return {};
  }

  // The value may be a secret: it is wiped before an error leaves it behind.
  Result<Token> quotedString() {
    const int start_line = line_;
    std::string value;
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\n') ++line_;
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      value.push_back(text_[pos_++]);
    }
    if (pos_ >= text_.size()) {
      wipeString(value);
      return error(start_line, "quoted string opened here is never closed");
    }
    ++pos_;
    return Token{Token::Kind::Quoted, std::move(value), start_line};
  }

  static bool endsWord(char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '{' || c == '}' || c == ';' ||
           c == '"';
  }

  Token word() {
    std::string text;
    while (pos_ < text_.size() && !endsWord(text_[pos_]))
      text.push_back(text_[pos_++]);
    return Token{Token::Kind::Word, std::move(text), line_};
  }

  char peek(std::size_t ahead) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  std::string_view text_;
  std::string origin_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

/// Words are echoed in messages only when they cannot be a secret: short, letters and '-'.
std::string describeToken(const Token& token) {
  switch (token.kind) {
    case Token::Kind::End:
      return "end of file";
    case Token::Kind::Punctuation:
      return "'" + token.text + "'";
    case Token::Kind::Quoted:
      return "a quoted string";
    case Token::Kind::Word: {
      const bool harmless =
          token.text.size() <= 24 && std::all_of(token.text.begin(), token.text.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c)) || c == '-';
          });
      return harmless ? "'" + token.text + "'" : "a word";
    }
  }
  return "a token";
}

struct ParsedKey {
  std::string name;
  int line = 0;
  std::optional<std::string> algorithm;
  std::optional<std::string> secret;
  ~ParsedKey() {
    if (secret) wipeString(*secret);
  }
  ParsedKey() = default;
  ParsedKey(ParsedKey&&) = default;
  ParsedKey& operator=(ParsedKey&&) = default;
};

Result<void> expectPunctuation(KeyFileLexer& lexer, char which, std::string_view after) {
  auto token = lexer.next();
  if (!token) return fail(token.error());
  if (token->kind != Token::Kind::Punctuation || token->text[0] != which) {
    return lexer.error(token->line, "expected '" + std::string(1, which) + "' " +
                                        std::string(after) + ", found " + describeToken(*token));
  }
  return {};
}

Result<void> parseAlgorithmValue(const KeyFileLexer& lexer, ParsedKey& key, const Token& clause,
                                 const Token& value) {
  if (value.kind != Token::Kind::Word && value.kind != Token::Kind::Quoted)
    return lexer.error(value.line, "expected an algorithm name, found " + describeToken(value));
  if (key.algorithm) return lexer.error(clause.line, "key '" + key.name + "' has two algorithms");
  if (auto known = parseTsigAlgorithm(value.text); !known)
    return lexer.error(value.line, "key '" + key.name + "': " + known.error().message);
  key.algorithm = value.text;
  return {};
}

// Every path wipes the token's copy of the secret, so none outlives the parse.
Result<void> parseSecretValue(const KeyFileLexer& lexer, ParsedKey& key, const Token& clause,
                              Token& value) {
  if (value.kind != Token::Kind::Quoted) {
    if (value.kind == Token::Kind::Word) wipeString(value.text);
    return lexer.error(value.line,
                       "the secret of key '" + key.name + "' must be a quoted base64 string");
  }
  if (key.secret) {
    wipeString(value.text);
    return lexer.error(clause.line, "key '" + key.name + "' has two secrets");
  }
  if (auto valid = validateBase64Secret(value.text); !valid) {
    wipeString(value.text);
    return lexer.error(value.line, "the secret of key '" + key.name + "' " + valid.error().message);
  }
  key.secret = std::move(value.text);
  wipeString(value.text);
  return {};
}

/// One `algorithm NAME;` or `secret "BASE64";` clause; `clause` is its first token.
Result<void> parseKeyClause(KeyFileLexer& lexer, ParsedKey& key, const Token& clause) {
  const std::string keyword = clause.kind == Token::Kind::Word ? lowerCase(clause.text) : "";
  if (keyword != "algorithm" && keyword != "secret") {
    return lexer.error(clause.line, "expected 'algorithm' or 'secret' in key '" + key.name +
                                        "', found " + describeToken(clause));
  }
  auto value = lexer.next();
  if (!value) return fail(value.error());
  auto parsed = keyword == "algorithm" ? parseAlgorithmValue(lexer, key, clause, *value)
                                       : parseSecretValue(lexer, key, clause, *value);
  if (!parsed) return parsed;
  return expectPunctuation(lexer, ';', "after the value");
}

/// The clauses between a key's braces, through the closing '}'.
Result<void> parseKeyBody(KeyFileLexer& lexer, ParsedKey& key) {
  for (;;) {
    auto clause = lexer.next();
    if (!clause) return fail(clause.error());
    if (clause->kind == Token::Kind::Punctuation && clause->text == "}") return {};
    if (clause->kind == Token::Kind::End) {
      return lexer.error(key.line, "key '" + key.name + "' opened here is missing its '}'");
    }
    if (auto parsed = parseKeyClause(lexer, key, *clause); !parsed) return parsed;
  }
}

/// `NAME { ... };` following the word 'key' on `line`; appends the complete key to `keys`.
Result<void> parseKeyStatement(KeyFileLexer& lexer, int line, std::vector<ParsedKey>& keys) {
  ParsedKey key;
  key.line = line;
  auto name = lexer.next();
  if (!name) return fail(name.error());
  if (name->kind != Token::Kind::Word && name->kind != Token::Kind::Quoted) {
    return lexer.error(name->line,
                       "expected a key name after 'key', found " + describeToken(*name));
  }
  key.name = name->text;
  if (auto ok = expectPunctuation(lexer, '{', "after the key name"); !ok) return ok;
  if (auto body = parseKeyBody(lexer, key); !body) return body;
  if (auto ok = expectPunctuation(lexer, ';', "after the key's '}'"); !ok) return ok;
  if (!key.algorithm) return lexer.error(key.line, "key '" + key.name + "' has no 'algorithm'");
  if (!key.secret) return lexer.error(key.line, "key '" + key.name + "' has no 'secret'");
  keys.push_back(std::move(key));
  return {};
}

Result<std::vector<ParsedKey>> parseKeyFile(std::string_view text, const std::string& origin) {
  KeyFileLexer lexer(text, origin);
  std::vector<ParsedKey> keys;
  for (;;) {
    auto token = lexer.next();
    if (!token) return fail(token.error());
    if (token->kind == Token::Kind::End) break;
    if (token->kind != Token::Kind::Word || lowerCase(token->text) != "key") {
      return lexer.error(token->line, "expected a 'key' statement, found " + describeToken(*token));
    }
    if (auto parsed = parseKeyStatement(lexer, token->line, keys); !parsed)
      return fail(parsed.error());
  }
  if (keys.empty()) return fail(ErrorKind::Config, origin + ": no 'key' statement found");
  return keys;
}

/// Key names compare as DNS names: case-insensitive, with or without the final dot.
std::string comparableKeyName(std::string_view name) {
  std::string comparable = lowerCase(name);
  if (!comparable.empty() && comparable.back() == '.') comparable.pop_back();
  return comparable;
}

/// Without a name the file must hold exactly one key, or the choice would be a guess.
Result<const ParsedKey*> onlyKey(const std::vector<ParsedKey>& keys, const std::string& origin) {
  if (keys.size() > 1) {
    std::string names;
    for (const auto& key : keys)
      names += (names.empty() ? "'" : ", '") + key.name + "'";
    return fail(ErrorKind::Config,
                origin + " holds several keys (" + names + "): name the one to use");
  }
  return &keys.front();
}

/// The last key with that name, as BIND would use it.
Result<const ParsedKey*> keyNamed(const std::vector<ParsedKey>& keys, std::string_view key_name,
                                  const std::string& origin) {
  const std::string wanted = comparableKeyName(key_name);
  const ParsedKey* chosen = nullptr;
  for (const auto& key : keys)
    if (comparableKeyName(key.name) == wanted) chosen = &key;
  if (chosen == nullptr)
    return fail(ErrorKind::Config, origin + ": no key named '" + std::string(key_name) + "'");
  return chosen;
}

}  // namespace

Result<std::size_t> validateBase64Secret(std::string_view text) {
  std::size_t characters = 0;
  std::size_t padding = 0;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (c == '=') {
      ++padding;
      ++characters;
      continue;
    }
    if (!isBase64Character(c))
      return fail(ErrorKind::Config, "is not valid base64 (bad character)");
    if (padding > 0) return fail(ErrorKind::Config, "is not valid base64 ('=' inside the text)");
    ++characters;
  }
  if (characters == 0) return fail(ErrorKind::Config, "is empty");
  if (characters % 4 != 0 || padding > 2) {
    return fail(ErrorKind::Config, "is not valid base64 (length is not a multiple of 4)");
  }
  const std::size_t decoded = characters / 4 * 3 - padding;
  if (decoded == 0) return fail(ErrorKind::Config, "is empty");
  return decoded;
}

namespace {

// ldns takes the secret as a C string, so the terminating NUL lives inside the wiped buffer.
SecretBytes nulTerminated(std::string_view text) {
  SecretBytes secret(text.size() + 1);
  std::copy(text.begin(), text.end(), secret.revealMutable().begin());
  return secret;
}

}  // namespace

TsigKey::TsigKey(std::string name, TsigAlgorithm algorithm, std::string secret_base64)
    : name_(std::move(name)), algorithm_(algorithm), secret_base64_(nulTerminated(secret_base64)) {
  wipeString(secret_base64);
}

const char* TsigKey::secretText() const {
  return reinterpret_cast<const char*>(secret_base64_.reveal().data());
}

std::string TsigKey::describe() const {
  return "TSIG key '" + name_ + "' (" + std::string(tsigAlgorithmName(algorithm_)) + ")";
}

Result<TsigKey> TsigKey::create(std::string_view name, std::string_view algorithm,
                                std::string_view secret_base64, std::string_view origin) {
  std::string key_name = lowerCase(name);
  if (!key_name.empty() && key_name.back() == '.') key_name.pop_back();
  if (key_name.empty())
    return fail(ErrorKind::Config, std::string(origin) + ": TSIG key name is empty");
  auto parsed_algorithm = parseTsigAlgorithm(algorithm);
  if (!parsed_algorithm) {
    return fail(
        parsed_algorithm.error().withContext(std::string(origin) + ": key '" + key_name + "'"));
  }
  if (auto valid = validateBase64Secret(secret_base64); !valid) {
    return fail(ErrorKind::Config, std::string(origin) + ": the secret of TSIG key '" + key_name +
                                       "' " + valid.error().message);
  }
  std::string compact;
  compact.reserve(secret_base64.size());
  for (const char c : secret_base64)
    if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  return TsigKey(std::move(key_name), *parsed_algorithm, std::move(compact));
}

Result<TsigKey> TsigKey::fromBindKeyText(std::string_view text, std::string_view origin,
                                         std::string_view key_name) {
  const std::string origin_text(origin);
  auto keys = parseKeyFile(text, origin_text);
  if (!keys) return fail(keys.error());
  auto chosen =
      key_name.empty() ? onlyKey(*keys, origin_text) : keyNamed(*keys, key_name, origin_text);
  if (!chosen) return fail(chosen.error());
  const ParsedKey& key = **chosen;
  return create(key.name, *key.algorithm, *key.secret,
                origin_text + ":" + std::to_string(key.line));
}

Result<TsigKey> TsigKey::fromBindKeyFile(const std::filesystem::path& path,
                                         std::string_view key_name) {
  auto text = readKeyFile(path, "a TSIG key file");
  if (!text) return fail(text.error());
  return fromBindKeyText(text->revealText(), path.string(), key_name);
}

Result<TsigKey> TsigKey::fromSecretFile(const std::filesystem::path& path, std::string_view name,
                                        std::string_view algorithm) {
  auto text = readKeyFile(path, "a TSIG secret file");
  if (!text) return fail(text.error());
  return create(name, algorithm, text->revealText(), "TSIG secret file " + path.string());
}

Result<TsigKey> TsigKey::fromEnvironment(std::string_view algorithm) {
  // daneguard reads its environment before starting any thread, so getenv is safe here.
  const char* name = std::getenv(kTsigKeyNameVariable);   // NOLINT(concurrency-mt-unsafe)
  const char* secret = std::getenv(kTsigSecretVariable);  // NOLINT(concurrency-mt-unsafe)
  if (name == nullptr || *name == '\0') {
    return fail(ErrorKind::Config, std::string("environment variable ") + kTsigKeyNameVariable +
                                       " (TSIG key name) is not set");
  }
  if (secret == nullptr || *secret == '\0') {
    return fail(ErrorKind::Config, std::string("environment variable ") + kTsigSecretVariable +
                                       " (TSIG secret, base64) is not set");
  }
  return create(name, algorithm, secret, std::string("environment ") + kTsigSecretVariable);
}

}  // namespace daneguard::adapters::dns

// checkPublishers (app/check) over a scripted directory: which owners are asked about, and how
// outcomes become findings.
#include "app/check/publisher_checks.hpp"

#include <gtest/gtest.h>

#include <map>

namespace daneguard::app::check {
namespace {

class ScriptedDirectory final : public ports::PublisherDirectory {
 public:
  std::map<std::string, std::vector<std::string>, std::less<>> asked;
  std::map<std::string, ports::ZoneAccessCheck, std::less<>> answers;

  Result<ports::PublisherDns> publisher(std::string_view) override {
    return fail(ErrorKind::Internal, "not used");
  }
  Result<ports::DnsUpdate*> updater(std::string_view) override {
    return fail(ErrorKind::Internal, "not used");
  }
  std::vector<ports::ZoneAccessCheck> checkAccess(std::string_view name,
                                                  const std::vector<std::string>& owners) override {
    asked[std::string(name)] = owners;
    auto answer = answers.at(std::string(name));
    answer.owners = owners;
    return {answer};
  }
};

config::Config twoPublishers() {
  config::Config config;
  config.publishers.emplace("good", config::Rfc2136Publisher{});
  config.publishers.emplace("bad", config::Rfc2136Publisher{});
  config.publishers.emplace("idle", config::Rfc2136Publisher{});
  config::Service mail;
  mail.name = "mail";
  mail.hosts = {"mx1.example.test", "mx2.example.test"};
  mail.ports = {25};
  mail.publisher = "good";
  config::Service web;
  web.name = "web";
  web.hosts = {"www.example.test"};
  web.ports = {443, 8443};
  web.publisher = "bad";
  config.services = {mail, web};
  return config;
}

TEST(CheckPublishers, AsksEachUsedPublisherAboutItsServicesOwnerNames) {
  ScriptedDirectory directory;
  directory.answers.emplace("good", ports::ZoneAccessCheck{"example.test.", {}, std::string("ok")});
  directory.answers.emplace(
      "bad",
      ports::ZoneAccessCheck{
          "example.test.", {}, fail(ErrorKind::Rejected, "127.0.0.1:53 refused the update")});
  const Findings findings = checkPublishers(twoPublishers(), directory);

  EXPECT_EQ(directory.asked["good"],
            (std::vector<std::string>{"_25._tcp.mx1.example.test.", "_25._tcp.mx2.example.test."}));
  EXPECT_EQ(directory.asked["bad"], (std::vector<std::string>{"_443._tcp.www.example.test.",
                                                              "_8443._tcp.www.example.test."}));
  EXPECT_EQ(directory.asked.count("idle"), 0u);

  ASSERT_EQ(findings.size(), 3u);
  std::map<std::string, Finding> by_subject;
  for (const Finding& finding : findings)
    by_subject[finding.subject] = finding;
  EXPECT_EQ(by_subject["publisher 'good', zone example.test."].severity, Severity::Ok);
  const Finding& bad = by_subject["publisher 'bad', zone example.test."];
  EXPECT_EQ(bad.severity, Severity::Error);
  EXPECT_EQ(bad.service, "web");
  EXPECT_NE(bad.message.find("refused"), std::string::npos);
  EXPECT_NE(bad.fix.find("update-policy"), std::string::npos);
  EXPECT_EQ(by_subject["publisher 'idle'"].severity, Severity::Notice);
}

TEST(CheckPublishers, AKindThatCannotTestIsANoticeNotAnError) {
  ScriptedDirectory directory;
  ports::ZoneAccessCheck untestable{"example.test.", {}, fail(ErrorKind::Internal, "cannot")};
  untestable.untestable = true;
  directory.answers.emplace("good", untestable);
  directory.answers.emplace("bad", untestable);
  for (const Finding& finding : checkPublishers(twoPublishers(), directory))
    EXPECT_EQ(finding.severity, Severity::Notice) << finding.subject;
}

}  // namespace
}  // namespace daneguard::app::check

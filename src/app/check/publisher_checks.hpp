// `daneguard check`, publisher part: does each publisher's access work, tested without changing
// anything? For every publisher a service uses, the TLSA owner names of those services are
// handed to the publisher's own access check (RFC 2136: an UPDATE whose prerequisite cannot
// hold; external program: the program is there and safe; zone file: file, directory and reload
// command). One finding per zone checked, plus a notice for publishers no service uses.
#pragma once

#include "app/check/finding.hpp"
#include "core/config/config.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::app::check {

Findings checkPublishers(const config::Config& config, ports::PublisherDirectory& publishers);

}  // namespace daneguard::app::check

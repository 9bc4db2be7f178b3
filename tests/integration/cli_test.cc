// The `infrashare` CLI as a person uses it, against a real server and Redis.
#include <date/date.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<RedisServer>();
    server_ = std::make_unique<TestServer>(redis_->url());
  }
  CliRun Cli(const std::string& args, const std::string& token = kAdminToken,
             const std::string& wrapper = "") {
    return CliAt(server_->address(), args, token, wrapper);
  }
  CliRun CliAt(const std::string& server, const std::string& args,
               const std::string& token = kAdminToken, const std::string& wrapper = "") {
    FILE* pipe = popen(Command(server, args, token, wrapper).c_str(), "r");
    std::string out;
    std::array<char, 4096> buffer;
    while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
    int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }
  // The shell command of a CLI run: without TZ, as the tests expect the CLI's default zone (a test
  // sets TZ through `wrapper`).
  static std::string Command(const std::string& server, const std::string& args,
                             const std::string& token, const std::string& wrapper) {
    return std::string("env -u TZ INFRASHARE_TOKEN='") + token + "' " + wrapper +
           INFRASHARE_CLI_BIN + " --server " + server + " " + args + " 2>&1";
  }
  // Writes `text` to a file of this test run, byte for byte; returns its path.
  std::string File(const std::string& name, const std::string& text) {
    std::string path = "/tmp/infrashare-cli-test-" + std::to_string(getpid()) + "-" + name;
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
  }
  // The owner's resources by display name, as `resource list -o json` prints them.
  std::map<std::string, nlohmann::json> Resources(const std::string& owner) {
    auto listed = Cli("-o json resource list --owner " + owner);
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    std::map<std::string, nlohmann::json> out;
    const auto parsed = nlohmann::json::parse(listed.output);
    for (const auto& r : parsed.at("resources")) out[r["display_name"].get<std::string>()] = r;
    return out;
  }
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<TestServer> server_;
  std::vector<std::string> files_;
};

TEST_F(CliTest, CreatesSearchesImportsAndExplainsErrors) {
  auto org =
      Cli("org create --id fablab --name 'Fablab Zwolle' --kind company --sme --province PV23");
  ASSERT_EQ(org.exit_code, 0) << org.output;
  EXPECT_NE(org.output.find("Fablab Zwolle"), std::string::npos);

  auto lab =
      Cli("resource create --id fab-cnc --name 'CNC Werkplaats' --kind lab --owner fablab "
          "--theme manufacturing --lat 52.51 --lon 6.09 --province PV23");
  ASSERT_EQ(lab.exit_code, 0) << lab.output;

  auto found = Cli("-o json search --theme manufacturing --near 52.5,6.1 --radius 10");
  ASSERT_EQ(found.exit_code, 0) << found.output;
  EXPECT_NE(found.output.find("\"fab-cnc\""), std::string::npos);

  auto table = Cli("search --text cnc");
  EXPECT_NE(table.output.find("1 found"), std::string::npos) << table.output;

  std::string csv = "/tmp/infrashare-cli-test-" + std::to_string(getpid()) + ".csv";
  std::ofstream(csv) << "id,display_name,kind,owner_organization_id,latitude,longitude,themes\n"
                     << "fab-3d,3D Print Lab,lab,fablab,52.5,6.1,manufacturing;digitalisation\n"
                     << "fab-bad,Broken Lab,lab,fablab,123,6.1,manufacturing\n";
  auto import = Cli("import --quiet " + csv);
  EXPECT_EQ(import.exit_code, 1) << import.output;
  EXPECT_NE(import.output.find("created 1, updated 0, unchanged 0, failed 1"), std::string::npos)
      << import.output;
  EXPECT_NE(import.output.find("line 3: "), std::string::npos) << import.output;
  EXPECT_NE(import.output.find("resources[1].location.point.latitude"), std::string::npos)
      << import.output;
  std::remove(csv.c_str());

  auto missing = Cli("resource get no-such-lab");
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_NE(missing.output.find("NOT_FOUND"), std::string::npos) << missing.output;

  auto bad = Cli("resource create --name x --kind lab --owner fablab --lat 99 --lon 6");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.output.find("[field: resource.location.point.latitude]"), std::string::npos)
      << bad.output;

  auto anonymous = Cli("org list", "");
  EXPECT_EQ(anonymous.exit_code, 7);
  EXPECT_NE(anonymous.output.find("UNAUTHENTICATED"), std::string::npos) << anonymous.output;
  // A token as a Windows token file or a Kubernetes secret gives it (a line end after it), or with
  // "Bearer " in front, works; one with a control character inside is a usage error, not a crash.
  EXPECT_EQ(Cli("org list", std::string(kAdminToken) + "\r\n").exit_code, 0);
  EXPECT_EQ(Cli("org list", "Bearer " + std::string(kAdminToken)).exit_code, 0);
  auto broken = Cli("org list",
                    "abc\x01"
                    "def");
  EXPECT_EQ(broken.exit_code, 2) << broken.output;
  EXPECT_NE(broken.output.find("control character"), std::string::npos) << broken.output;
  // The CLI, not the client library, tells a person which flag to use.
  EXPECT_NE(
      anonymous.output.find("(pass --token or set INFRASHARE_TOKEN, or run infrashare login)"),
      std::string::npos)
      << anonymous.output;
}

// Count occurrences of `word` in `text`.
size_t Occurrences(const std::string& text, const std::string& word) {
  size_t count = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++count;
  return count;
}

// A script can tell what went wrong from the exit code alone; a person reads one line naming
// the status once.
TEST_F(CliTest, EndsWithAnExitCodeForEachStatus) {
  auto help = Cli("--help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("Exit codes:"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("4   NOT_FOUND"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("12  DEADLINE_EXCEEDED"), std::string::npos) << help.output;
  // Every status but OK has a code of its own: 3 to 18, each listed once.
  for (const char* status :
       {"INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "UNAUTHENTICATED",
        "FAILED_PRECONDITION", "ABORTED", "RESOURCE_EXHAUSTED", "UNAVAILABLE", "DEADLINE_EXCEEDED",
        "CANCELLED", "UNKNOWN", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "DATA_LOSS"})
    EXPECT_EQ(Occurrences(help.output, std::string("  ") + status + "\n"), 1u) << status;
  EXPECT_NE(help.output.find("17  INTERNAL"), std::string::npos) << help.output;

  EXPECT_EQ(Cli("resource list --colour red").exit_code, 2);  // an unknown flag
  EXPECT_EQ(Cli("resource get").exit_code, 2);                // a missing argument
  EXPECT_EQ(Cli("search --sme maybe").exit_code, 2);          // a value CLI11 refuses
  EXPECT_EQ(Cli("search --near 52.5").exit_code, 2);          // a value the CLI refuses

  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  auto twice = Cli("org create --id fablab --name Fablab --kind company");
  EXPECT_EQ(twice.exit_code, 5) << twice.output;
  EXPECT_EQ(Occurrences(twice.output, "ALREADY_EXISTS"), 1u) << twice.output;
  auto missing = Cli("org get nobody");
  EXPECT_EQ(missing.exit_code, 4) << missing.output;
  EXPECT_EQ(Occurrences(missing.output, "NOT_FOUND"), 1u) << missing.output;
  EXPECT_EQ(Cli("org create --id x --name ' ' --kind company").exit_code, 3);
  auto stale = Cli("org update fablab --json '{\"display_name\": \"Fablab Zwolle\"}' --etag old");
  EXPECT_EQ(stale.exit_code, 9) << stale.output;

  auto member = Cli("-o json token create --org fablab --role member");
  ASSERT_EQ(member.exit_code, 0) << member.output;
  const std::string token = nlohmann::json::parse(member.output)["token"];
  auto denied = Cli("org create --id other --name Other --kind company", token);
  EXPECT_EQ(denied.exit_code, 6) << denied.output;
  EXPECT_EQ(Cli("org list", "not-a-token").exit_code, 7);
  EXPECT_EQ(Cli("--deadline -1 org list").exit_code, 2);  // a usage error, not a call
  EXPECT_EQ(Cli("--deadline 0 org list").exit_code, 12);
  // Nothing listens on port 1 (the client retries a few times first).
  auto unavailable = CliAt("127.0.0.1:1", "org list");
  EXPECT_EQ(unavailable.exit_code, 11) << unavailable.output;
  EXPECT_NE(unavailable.output.find("UNAVAILABLE"), std::string::npos) << unavailable.output;
}

// -o anywhere on the line; YAML for programs that prefer it, with the fields JSON has.
TEST_F(CliTest, PrintsJsonOrYamlWhereverTheOutputFlagIs) {
  ASSERT_EQ(Cli("org create --id fablab --name 'Fablab Zwolle' --kind company --sme").exit_code, 0);
  auto json_text = Cli("org get fablab -o json");
  ASSERT_EQ(json_text.exit_code, 0) << json_text.output;
  const auto json = nlohmann::json::parse(json_text.output);
  EXPECT_EQ(json["display_name"], "Fablab Zwolle");

  auto yaml_text = Cli("org get fablab --output yaml");
  ASSERT_EQ(yaml_text.exit_code, 0) << yaml_text.output;
  const YAML::Node yaml = YAML::Load(yaml_text.output);
  EXPECT_EQ(yaml["display_name"].as<std::string>(), "Fablab Zwolle");
  EXPECT_EQ(yaml["kind"].as<std::string>(), "ORGANIZATION_KIND_COMPANY");
  EXPECT_TRUE(yaml["sme"].as<bool>());
  EXPECT_EQ(yaml["audit"]["create_time"].as<std::string>(), json["audit"]["create_time"]);
  // A time stays text for YAML 1.1 readers too (PyYAML would make a datetime of it unquoted).
  EXPECT_NE(yaml_text.output.find("create_time: \"20"), std::string::npos) << yaml_text.output;

  auto list = Cli("org list -o yaml");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  // Every list is one object with its items under a named key, like every other answer.
  const YAML::Node orgs = YAML::Load(list.output)["organizations"];
  ASSERT_TRUE(orgs.IsSequence()) << list.output;
  EXPECT_EQ(orgs[0]["id"].as<std::string>(), "fablab");
  EXPECT_EQ(Cli("org list -o xml").exit_code, 2);
  auto before = Cli("-o json org list");
  ASSERT_EQ(before.exit_code, 0) << before.output;
  EXPECT_EQ(nlohmann::json::parse(before.output)["organizations"][0]["id"], "fablab");
  for (const char* list_command : {"network list", "resource list", "token list", "overlap"}) {
    auto listed = Cli(std::string("-o json ") + list_command);
    ASSERT_EQ(listed.exit_code, 0) << list_command << ": " << listed.output;
    EXPECT_TRUE(nlohmann::json::parse(listed.output).is_object()) << list_command;
  }
}

// Enum values by the short names tables show, or by their full names; a typo gets the nearest.
TEST_F(CliTest, TakesShortEnumNamesAndSuggestsTheNearestForATypo) {
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  ASSERT_EQ(
      Cli("org create --id gemeente --name Gemeente --kind ORGANIZATION_KIND_GOVERNMENT").exit_code,
      0);
  auto lab =
      Cli("-o json resource create --id zorglab --name Zorglab --kind living-lab --owner fablab "
          "--theme digitalisation --theme THEME_MANUFACTURING --lat 52.51 --lon 6.09");
  ASSERT_EQ(lab.exit_code, 0) << lab.output;
  const auto created = nlohmann::json::parse(lab.output);
  EXPECT_EQ(created["kind"], "RESOURCE_KIND_LIVING_LAB");
  EXPECT_EQ(created["themes"], nlohmann::json({"THEME_DIGITALISATION", "THEME_MANUFACTURING"}));
  auto table = Cli("resource list --owner fablab");
  EXPECT_NE(table.output.find("living-lab"), std::string::npos) << table.output;

  auto typo = Cli("resource create --name Other --kind labb --owner fablab");
  EXPECT_EQ(typo.exit_code, 2) << typo.output;
  EXPECT_NE(typo.output.find("--kind: 'labb' is no resource kind; did you mean 'lab'? One of: "
                             "campus, lab, hub, living-lab"),
            std::string::npos)
      << typo.output;
  EXPECT_EQ(Resources("fablab").size(), 1u);  // nothing was sent
  auto theme = Cli("search --theme digitalization");
  EXPECT_EQ(theme.exit_code, 2) << theme.output;
  EXPECT_NE(theme.output.find("did you mean 'digitalisation'?"), std::string::npos) << theme.output;
  auto far = Cli("desk ask --need astrology --text hi");
  EXPECT_EQ(far.exit_code, 2) << far.output;
  EXPECT_EQ(far.output.find("did you mean"), std::string::npos) << far.output;
  EXPECT_NE(far.output.find("One of: innovation, training, facility-access"), std::string::npos)
      << far.output;

  // A typo in the beginning of a longer name, and in a time zone.
  auto state = Cli("booking list --resource zorglab --state pendng");
  EXPECT_EQ(state.exit_code, 2) << state.output;
  EXPECT_NE(state.output.find("did you mean 'pending-approval'?"), std::string::npos)
      << state.output;
  auto zone = Cli("booking list --resource zorglab --tz Europe/Amsterdm");
  EXPECT_EQ(zone.exit_code, 2) << zone.output;
  EXPECT_NE(zone.output.find("did you mean 'Europe/Amsterdam'?"), std::string::npos) << zone.output;

  auto help = Cli("resource create --help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("remote-lab"), std::string::npos) << help.output;

  auto command = Cli("bookng list");
  EXPECT_EQ(command.exit_code, 2) << command.output;
  EXPECT_NE(command.output.find("unknown command 'bookng'; did you mean 'booking'?"),
            std::string::npos)
      << command.output;
  EXPECT_EQ(command.output.find("A subcommand is required"), std::string::npos) << command.output;
  auto unknown = Cli("audit list");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("unknown command 'list'; one of: export"), std::string::npos)
      << unknown.output;
  // A word of a longer value name offers the names it is part of.
  auto role = Cli("token create --org fablab --role admin");
  EXPECT_EQ(role.exit_code, 2) << role.output;
  EXPECT_NE(role.output.find("did you mean 'platform-admin' or 'organization-admin'?"),
            std::string::npos)
      << role.output;
  // A TZ that is no zone is said, not silently replaced.
  auto bad_tz = Cli("org list", kAdminToken, "TZ=Mars/Olympus ");
  EXPECT_EQ(bad_tz.exit_code, 0) << bad_tz.output;
  EXPECT_NE(bad_tz.output.find("env TZ 'Mars/Olympus' is no IANA time zone; using "
                               "Europe/Amsterdam"),
            std::string::npos)
      << bad_tz.output;
  auto subcommand = Cli("booking lst --resource zorglab");
  EXPECT_EQ(subcommand.exit_code, 2) << subcommand.output;
  EXPECT_NE(subcommand.output.find("did you mean 'list'?"), std::string::npos) << subcommand.output;
  // A --json file that cannot be read is said so (exit 1), not parsed as empty JSON.
  auto unreadable = Cli("resource create --json @/nonexistent/resource.json");
  EXPECT_EQ(unreadable.exit_code, 1) << unreadable.output;
  EXPECT_NE(unreadable.output.find("cannot read /nonexistent/resource.json"), std::string::npos)
      << unreadable.output;
  auto flag = Cli("search --near 52.51,6.09 --radus 5");
  EXPECT_EQ(flag.exit_code, 2) << flag.output;
  EXPECT_NE(flag.output.find("did you mean '--radius'?"), std::string::npos) << flag.output;
  auto global = Cli("booking list --resource zorglab --servr 127.0.0.1:1");
  EXPECT_EQ(global.exit_code, 2) << global.output;
  EXPECT_NE(global.output.find("did you mean '--server'?"), std::string::npos) << global.output;
  // A value of a fixed list, and a number that does not fit, said as the CLI's own errors.
  auto order = Cli("search --order distnce --near 52.5,6.1 --radius 5");
  EXPECT_EQ(order.exit_code, 2) << order.output;
  EXPECT_NE(order.output.find("infrashare: --order: 'distnce' is not one of name, distance; did "
                              "you mean 'distance'?"),
            std::string::npos)
      << order.output;
  auto huge =
      Cli("booking find --near 52.5,6.1 --radius 5 --duration 99999999999999999999 "
          "--from 2027-01-05 --to 2027-01-06");
  EXPECT_EQ(huge.exit_code, 2) << huge.output;
  EXPECT_NE(huge.output.find("infrashare: "), std::string::npos) << huge.output;
}

// People read a region by name; programs get the CBS code alone.
TEST_F(CliTest, NamesTheRegionBesideItsCode) {
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company --province PV23").exit_code,
            0);
  ASSERT_EQ(Cli("resource create --id friese-lab --name 'Friese Lab' --kind lab --owner fablab "
                "--theme food --lat 53.2 --lon 5.8 --province PV21")
                .exit_code,
            0);
  auto orgs = Cli("org list");
  EXPECT_NE(orgs.output.find("PV23 Overijssel"), std::string::npos) << orgs.output;
  auto resources = Cli("resource list --owner fablab");
  EXPECT_NE(resources.output.find("PV21 Fryslân"), std::string::npos) << resources.output;
  auto shown = Cli("resource get friese-lab");
  EXPECT_NE(shown.output.find("PV21 Fryslân"), std::string::npos) << shown.output;
  auto json = Cli("-o json resource get friese-lab");
  EXPECT_EQ(nlohmann::json::parse(json.output)["location"]["region"]["province"], "PV21")
      << json.output;
  auto found = Cli("search --theme food");
  EXPECT_NE(found.output.find("PV21 Fryslân (1)"), std::string::npos) << found.output;  // facet
  auto coverage = Cli("coverage --theme food");
  EXPECT_NE(coverage.output.find("PV20 Groningen"), std::string::npos) << coverage.output;
}

// Longitude before latitude is an easy slip: a place in the Netherlands swapped lands in Somalia,
// which is valid, so the CLI warns and goes on.
TEST_F(CliTest, WarnsAboutSwappedCoordinates) {
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  auto swapped =
      Cli("resource create --id swapped --name Swapped --kind lab --owner fablab "
          "--lat 6.1 --lon 52.5");
  EXPECT_EQ(swapped.exit_code, 0) << swapped.output;
  EXPECT_NE(swapped.output.find("warning: --lat 6.1 --lon 52.5 lies outside the Netherlands; did "
                                "you mean --lat 52.5 --lon 6.1?"),
            std::string::npos)
      << swapped.output;
  auto near = Cli("search --near 6.09,52.51");
  EXPECT_EQ(near.exit_code, 0) << near.output;
  EXPECT_NE(near.output.find("did you mean 52.51,6.09 (latitude first)?"), std::string::npos)
      << near.output;

  for (const char* fine : {"--lat 52.5 --lon 6.1", "--lat 48.85 --lon 2.35"}) {  // Paris: no slip
    auto right = Cli("resource create --name Right --kind lab --owner fablab " + std::string(fine));
    EXPECT_EQ(right.exit_code, 0) << right.output;
    EXPECT_EQ(right.output.find("warning"), std::string::npos) << right.output;
  }
  EXPECT_EQ(Cli("search --near 52.51,6.09").output.find("warning"), std::string::npos);
  // Distances to 0.1 km (Right lies about 1.3 km away), never sixteen digits.
  auto by_distance = Cli("search --near 52.51,6.09 --radius 5 --order distance");
  EXPECT_TRUE(std::regex_search(by_distance.output, std::regex("Right[^\\n]* 1\\.3\\n")))
      << by_distance.output;
  // A zero or a false is printed, not left out.
  auto fablab = Cli("org get fablab");
  EXPECT_NE(fablab.output.find("sme: false"), std::string::npos) << fablab.output;
}

// A program follows `watch -o json` line by line: one JSON object per event, each written as it
// comes (read here while the stream is still open).
TEST_F(CliTest, WatchWritesOneJsonObjectPerLineAsEventsCome) {
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  auto create = [&](const std::string& id) {
    return Cli("resource create --id " + id + " --name " + id +
               " --kind lab --owner fablab --lat 52.5 --lon 6.1")
        .exit_code;
  };
  ASSERT_EQ(create("first-lab"), 0);
  FILE* pipe = popen(Command(server_->address(), "watch -o json --cursor reg1:0-0 --limit 2",
                             kAdminToken, "timeout 20 ")
                         .c_str(),
                     "r");
  ASSERT_NE(pipe, nullptr);
  std::vector<nlohmann::json> events;
  std::array<char, 65536> line;
  while (events.size() < 2 && fgets(line.data(), line.size(), pipe) != nullptr) {
    events.push_back(nlohmann::json::parse(line.data(), nullptr, false));
    if (events.size() == 1) {
      EXPECT_EQ(create("second-lab"), 0);  // only now is there a second
    }
  }
  EXPECT_EQ(WEXITSTATUS(pclose(pipe)), 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["resource_id"], "first-lab") << events[0].dump();
  EXPECT_EQ(events[0]["type"], "CHANGE_TYPE_CREATED") << events[0].dump();
  EXPECT_EQ(events[1]["resource_id"], "second-lab") << events[1].dump();
  EXPECT_EQ(events[1]["resource"]["owner_organization_id"], "fablab") << events[1].dump();

  auto yaml = Cli("watch -o yaml --cursor reg1:0-0 --limit 2", kAdminToken, "timeout 20 ");
  ASSERT_EQ(yaml.exit_code, 0) << yaml.output;
  const auto documents = YAML::LoadAll(yaml.output);
  ASSERT_EQ(documents.size(), 2u) << yaml.output;
  EXPECT_EQ(documents[1]["resource_id"].as<std::string>(), "second-lab");
  auto people = Cli("watch --cursor reg1:0-0 --limit 1", kAdminToken, "timeout 20 ");
  EXPECT_NE(people.output.find(" created first-lab first-lab"), std::string::npos) << people.output;
}

// A file as Dutch Excel saves it: a byte order mark, ';' between cells, decimal commas, CRLF,
// a quoted cell with the delimiter, quotes and a line break in it, and one row of nonsense.
// A cell over the API's bounds makes the server refuse the whole call; the CLI names that row's
// line and imports the others, and a CSV re-import keeps what the file has no column for.
TEST_F(CliTest, AnOversizedCellFailsOnlyItsRowAndAReimportKeepsWhatTheFileLacks) {
  ASSERT_EQ(Cli("org create --id provincie --name 'Provincie Drenthe' --kind government").exit_code,
            0);
  std::string csv = File("big.csv",
                         "display_name,kind,owner_organization_id,latitude,longitude,description\n"
                         "Drents Lab,lab,provincie,52.99,6.56,Eerste\n"
                         "Te Groot,lab,provincie,52.99,6.56," +
                             std::string(20000, 'x') +
                             "\n"
                             "Assen Hub,hub,provincie,52.99,6.56,Derde\n");
  auto import = Cli("import --quiet " + csv);
  EXPECT_EQ(import.exit_code, 1) << import.output;
  EXPECT_NE(import.output.find("line 3:"), std::string::npos) << import.output;
  EXPECT_NE(import.output.find("description"), std::string::npos) << import.output;
  EXPECT_NE(import.output.find("created 2, updated 0, unchanged 0, failed 1"), std::string::npos)
      << import.output;
  ASSERT_EQ(Resources("provincie").size(), 2u);

  // Staff set through the API survive a re-import of a file without a staff column.
  const std::string id = Resources("provincie")["Drents Lab"]["id"];
  ASSERT_EQ(Cli("resource update " + id +
                " --json '{\"staff\":[{\"name\":\"Anne "
                "Bos\",\"role\":\"STAFF_ROLE_FACILITY_MANAGER\"}]}'")
                .exit_code,
            0);
  std::string changed =
      File("changed.csv",
           "display_name,kind,owner_organization_id,latitude,longitude,description\n"
           "Drents Lab,lab,provincie,52.99,6.56,Nieuw\n");
  auto again = Cli("import --quiet " + changed);
  EXPECT_NE(again.output.find("updated 1"), std::string::npos) << again.output;
  auto lab = Resources("provincie")["Drents Lab"];
  EXPECT_EQ(lab["description"], "Nieuw");
  ASSERT_TRUE(lab.contains("staff")) << lab.dump();
  EXPECT_EQ(lab["staff"][0]["name"], "Anne Bos");
}

// A batch larger than the server takes in one call (grpc.max_message_bytes; 4 KiB here) is sent
// again in halves, and a row too large on its own fails alone with its line: before, the import
// stopped at the first such batch.
TEST_F(CliTest, ABatchTooLargeForTheServerIsSentInPartsAndAnOversizedRowFailsAlone) {
  auto config = TestServer::DefaultConfig();
  config.grpc.max_message_bytes = 4096;
  TestServer small(redis_->url(), config);
  ASSERT_EQ(
      Cli("org create --id waterschap --name 'Waterschap Aa en Maas' --kind government").exit_code,
      0);
  std::string csv = "display_name,kind,owner_organization_id,latitude,longitude,description,tags\n";
  for (int i = 0; i < 13; ++i) {
    if (i == 6) {  // line 8
      std::string tags;
      for (int t = 0; t < 10; ++t)
        tags += (t ? ";" : "") + std::string(30, static_cast<char>('a' + t));
      csv += "Gemaal Zuid-Willemsvaart,lab,waterschap,51.69,5.30," + std::string(4000, 'w') +
             ",\"" + tags + "\"\n";
      continue;
    }
    csv += "Peilbuis " + std::to_string(i) + ",lab,waterschap,51.69,5.30," +
           std::string(1500, 'p') + ",\n";
  }
  auto import = CliAt(small.address(), "import --quiet " + File("groot.csv", csv));
  EXPECT_EQ(import.exit_code, 1) << import.output;
  EXPECT_NE(import.output.find("line 8: the row alone is larger than the server takes"),
            std::string::npos)
      << import.output;
  EXPECT_NE(import.output.find("created 12, updated 0, unchanged 0, failed 1"), std::string::npos)
      << import.output;
  EXPECT_EQ(Resources("waterschap").size(), 12u);
}

TEST_F(CliTest, ImportsADutchExcelFileRowByRow) {
  ASSERT_EQ(Cli("org create --id gemeente --name 'Gemeente Utrecht' --kind government").exit_code,
            0);
  std::string csv =
      File("excel.csv",
           "\xEF\xBB\xBF"
           "display_name;kind;owner_organization_id;latitude;longitude;themes;description;capacity;"
           "booking_mode\r\n"
           "Één loket Café;hub;gemeente;52,0907;5,1214;digitalisation;Loket voor "
           "vragen;4;shared-capacity\r\n"
           "’s-Hertogenbosch Fieldlab;lab;gemeente;51,6978;5,3037;\"manufacturing;digitalisation\";"
           "\"Hal 3; ingang \"\"Noord\"\"\r\nachterom\";12;shared-capacity\r\n"
           "Ruimteschip;spaceship;gemeente;52,1;5,1;;;;\r\n"
           "Zorglab;living-lab;gemeente;52.37;4.89;health-care;;1;exclusive\r\n");
  auto import = Cli("import --quiet " + csv);
  EXPECT_EQ(import.exit_code, 1) << import.output;
  EXPECT_NE(import.output.find("line 5: kind: \"spaceship\""), std::string::npos) << import.output;
  EXPECT_NE(import.output.find("living-lab"), std::string::npos)
      << import.output;  // the accepted kinds
  EXPECT_NE(import.output.find("created 3, updated 0, unchanged 0, failed 1"), std::string::npos)
      << import.output;

  auto resources = Resources("gemeente");
  ASSERT_EQ(resources.size(), 3u);
  const auto& loket = resources["Één loket Café"];
  EXPECT_DOUBLE_EQ(loket["location"]["point"]["latitude"].get<double>(), 52.0907);
  EXPECT_DOUBLE_EQ(loket["location"]["point"]["longitude"].get<double>(), 5.1214);
  EXPECT_EQ(loket["capacity"], 4);
  const auto& fieldlab = resources["’s-Hertogenbosch Fieldlab"];
  EXPECT_EQ(fieldlab["description"], "Hal 3; ingang \"Noord\"\nachterom");
  EXPECT_EQ(fieldlab["themes"], nlohmann::json({"THEME_MANUFACTURING", "THEME_DIGITALISATION"}));
  EXPECT_DOUBLE_EQ(fieldlab["location"]["point"]["latitude"].get<double>(), 51.6978);
  EXPECT_EQ(resources["Zorglab"]["kind"], "RESOURCE_KIND_LIVING_LAB");
  EXPECT_DOUBLE_EQ(resources["Zorglab"]["location"]["point"]["latitude"].get<double>(), 52.37);
}

// A re-imported sheet that turns a yes into "nee" turns it off: the row's columns say what it
// sets, so false is not taken for an empty cell.
TEST_F(CliTest, ANeeInAReimportedSheetTurnsAFlagOff) {
  ASSERT_EQ(Cli("org create --id gemeente --name 'Gemeente Utrecht' --kind government").exit_code,
            0);
  const std::string header =
      "display_name;kind;owner_organization_id;latitude;longitude;approval_required;"
      "sme_accessible\r\n";
  auto first = Cli("import --quiet " + File("ja.csv", header + "Werkplaats;lab;gemeente;52,09;5,12;"
                                                               "ja;WAAR\r\n"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto lab = Resources("gemeente")["Werkplaats"];
  ASSERT_EQ(lab["approval_required"], true) << lab.dump();
  ASSERT_EQ(lab["sme_accessible"], true) << lab.dump();
  auto second = Cli("import --quiet " + File("nee.csv", header + "Werkplaats;lab;gemeente;52,09;"
                                                                 "5,12;nee;\r\n"));
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("updated 1"), std::string::npos) << second.output;
  lab = Resources("gemeente")["Werkplaats"];
  EXPECT_FALSE(lab.value("approval_required", false)) << lab.dump();
  EXPECT_EQ(lab["sme_accessible"], true) << "an empty cell keeps the value: " << lab.dump();
}

// Excel's plain "CSV" on a Dutch Windows writes Windows-1252, not UTF-8: read as such, with a note.
TEST_F(CliTest, ImportsAnExcelFileInWindows1252) {
  ASSERT_EQ(Cli("org create --id gemeente --name 'Gemeente Utrecht' --kind government").exit_code,
            0);
  std::string csv = File("ansi.csv",
                         "display_name;kind;owner_organization_id;latitude;longitude\r\n"
                         "Caf\xE9 \x80 Co\xF6p \x93Noord\x94;lab;gemeente;52,09;5,12\r\n");
  auto import = Cli("import --quiet " + csv);
  EXPECT_EQ(import.exit_code, 0) << import.output;
  EXPECT_NE(import.output.find("read as Windows-1252"), std::string::npos) << import.output;
  auto resources = Resources("gemeente");
  ASSERT_EQ(resources.size(), 1u);
  EXPECT_TRUE(resources.contains("Café € Coöp “Noord”")) << resources.begin()->first;
}

TEST_F(CliTest, RefusesAmbiguousNumbersAndUnknownColumnsNamingTheLine) {
  ASSERT_EQ(Cli("org create --id gemeente --name 'Gemeente Utrecht' --kind government").exit_code,
            0);
  std::string commas = File("commas.csv",
                            "display_name,kind,owner_organization_id,latitude,longitude,capacity\n"
                            "Lab Een,lab,gemeente,52.1,5.1,1\n"
                            "Lab Twee,lab,gemeente,\"52,1\",5.1,1\n"
                            "Lab Drie,lab,gemeente,52.1.5,5.1,1\n"
                            "Lab Vier,lab,gemeente,52.1,5.1,2.5\n"
                            "Lab Vijf,lab,gemeente,52.1abc,5.1,1\n");
  auto import = Cli("import --quiet " + commas);
  EXPECT_EQ(import.exit_code, 1) << import.output;
  EXPECT_NE(import.output.find(
                "line 3: latitude: \"52,1\" has a comma in a comma-separated file; write 52.1"),
            std::string::npos)
      << import.output;
  EXPECT_NE(import.output.find("line 4: latitude: \"52.1.5\""), std::string::npos) << import.output;
  EXPECT_NE(import.output.find("line 5: capacity: \"2.5\""), std::string::npos) << import.output;
  EXPECT_NE(import.output.find("line 6: latitude: \"52.1abc\""), std::string::npos)
      << import.output;
  EXPECT_NE(import.output.find("created 1, updated 0, unchanged 0, failed 4"), std::string::npos)
      << import.output;

  std::string both = File("both.csv",
                          "display_name;kind;owner_organization_id;latitude;longitude\n"
                          "Lab Zes;lab;gemeente;\"1.052,1\";5,1\n");
  auto grouped = Cli("import --quiet " + both);
  EXPECT_EQ(grouped.exit_code, 1) << grouped.output;
  EXPECT_NE(grouped.output.find("line 2: latitude: \"1.052,1\""), std::string::npos)
      << grouped.output;

  std::string typo = File("typo.csv",
                          "display_name,kind,owner_organization_id,latitude,longitude,themas\n"
                          "Lab Zeven,lab,gemeente,52.1,5.1,food\n");
  auto refused = Cli("import --quiet " + typo);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("unknown column \"themas\""), std::string::npos) << refused.output;
  EXPECT_EQ(refused.output.find("created"), std::string::npos) << refused.output;  // nothing sent

  // --delimiter overrides what the header suggests.
  std::string semicolons = File("semicolons.csv",
                                "display_name;kind;owner_organization_id;latitude;longitude\n"
                                "Lab Acht;lab;gemeente;52,1;5,1\n");
  auto forced = Cli("import --quiet --delimiter , " + semicolons);
  EXPECT_EQ(forced.exit_code, 1) << forced.output;
  EXPECT_NE(forced.output.find("unknown column \"display_name;kind"), std::string::npos)
      << forced.output;
  EXPECT_EQ(Resources("gemeente").size(), 1u);

  // JSON items are named by their index, and one bad item does not stop the others either.
  std::string json = File(
      "items.json",
      R"([{"display_name": "Lab Negen", "kind": "RESOURCE_KIND_LAB", "owner_organization_id": "gemeente",
           "location": {"point": {"latitude": 52.1, "longitude": 5.1}}},
          {"display_name": "Lab Tien", "kind": "spaceship", "owner_organization_id": "gemeente"}])");
  auto items = Cli("import --quiet " + json);
  EXPECT_EQ(items.exit_code, 1) << items.output;
  EXPECT_NE(items.output.find("item 1: "), std::string::npos) << items.output;
  EXPECT_NE(items.output.find("created 1, updated 0, unchanged 0, failed 1"), std::string::npos)
      << items.output;
  EXPECT_EQ(Resources("gemeente").size(), 2u);
}

TEST_F(CliTest, ReimportingAFileWithoutIdsFindsTheSameResources) {
  ASSERT_EQ(Cli("org create --id fablab --name 'Fablab Zwolle' --kind company --sme").exit_code, 0);
  auto write = [&](const std::string& changed_description) {
    std::string text =
        "display_name,kind,owner_organization_id,latitude,longitude,description,themes\n";
    for (int i = 1; i <= 10; ++i)
      text +=
          "Werkplaats " + std::to_string(i) + ",lab,fablab,52.5" + std::to_string(i) + ",6.09," +
          (i == 4 && !changed_description.empty() ? changed_description : "Gedeelde werkplaats") +
          ",manufacturing\n";
    return File("ten.csv", text);
  };
  auto first = Cli("import --quiet " + write(""));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("created 10, updated 0, unchanged 0, failed 0"), std::string::npos)
      << first.output;
  auto before = Resources("fablab");
  ASSERT_EQ(before.size(), 10u);

  auto second = Cli("import --quiet " + write(""));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("created 0, updated 0, unchanged 10, failed 0"), std::string::npos)
      << second.output;
  auto after = Resources("fablab");
  ASSERT_EQ(after.size(), 10u);
  for (const auto& [name, r] : before) EXPECT_EQ(after[name]["etag"], r["etag"]) << name;

  auto third = Cli("import --quiet " + write("Nu met lasrobot"));
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_NE(third.output.find("created 0, updated 1, unchanged 9, failed 0"), std::string::npos)
      << third.output;
  auto last = Resources("fablab");
  ASSERT_EQ(last.size(), 10u);
  for (const auto& [name, r] : before) {
    if (name == "Werkplaats 4") {
      EXPECT_NE(last[name]["etag"], r["etag"]);
      EXPECT_EQ(last[name]["description"], "Nu met lasrobot");
    } else {
      EXPECT_EQ(last[name]["etag"], r["etag"]) << name;
    }
  }
}

TEST_F(CliTest, BooksCancelsAndListsASlot) {
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  auto lab =
      Cli("resource create --id fab-laser --name 'Laser Cutter' --kind equipment --owner fablab "
          "--lat 52.51 --lon 6.09");
  ASSERT_EQ(lab.exit_code, 0) << lab.output;
  auto booked =
      Cli("-o json booking create --resource fab-laser --start 2099-03-02T09:00:00+01:00 "
          "--end 2099-03-02T12:00:00+01:00 --title 'Laser course' --for fablab");
  ASSERT_EQ(booked.exit_code, 0) << booked.output;
  EXPECT_NE(booked.output.find("BOOKING_STATE_CONFIRMED"), std::string::npos) << booked.output;
  const size_t at = booked.output.find("fab-laser.");
  ASSERT_NE(at, std::string::npos);
  const std::string id = booked.output.substr(at, std::string("fab-laser.").size() + 12);
  // The audit trail names the booking the call created, not the resource (written after the
  // answer: looked for a bounded number of times).
  bool audited = false;
  for (int i = 0; i < 50 && !audited; ++i) {
    const auto trail = Cli("audit export");
    audited = trail.output.find("\"object_id\":\"" + id + "\"") != std::string::npos;
    if (!audited) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(audited) << Cli("audit export").output;

  auto clash =
      Cli("booking create --resource fab-laser --start 2099-03-02T10:00:00+01:00 "
          "--end 2099-03-02T11:00:00+01:00 --for fablab");
  EXPECT_EQ(clash.exit_code, 8);
  EXPECT_NE(clash.output.find("SLOT_TAKEN"), std::string::npos) << clash.output;
  auto backwards =
      Cli("booking create --resource fab-laser --start 2099-03-02T10:00:00Z "
          "--end 2099-03-02T09:00:00Z --for fablab");
  EXPECT_NE(backwards.output.find("end_time"), std::string::npos) << backwards.output;

  auto find =
      Cli("booking find --text laser --duration 120 --from 2099-03-02T07:00:00Z --to "
          "2099-03-02T13:00:00Z");
  ASSERT_EQ(find.exit_code, 0) << find.output;
  EXPECT_NE(find.output.find("fab-laser"), std::string::npos) << find.output;
  EXPECT_NE(find.output.find("2099-03-02 12:00 +01:00"), std::string::npos) << find.output;
  // Nothing free: the answer says what matched and why it gave no slot, never just an empty table.
  auto none =
      Cli("booking find --text laser --duration 120 --from 2099-03-02T08:00:00Z --to "
          "2099-03-02T11:00:00Z");
  ASSERT_EQ(none.exit_code, 0) << none.output;
  EXPECT_NE(none.output.find("No free slot. 1 resource matched, 1 bookable by you."),
            std::string::npos)
      << none.output;
  EXPECT_NE(none.output.find("fully-booked"), std::string::npos) << none.output;
  EXPECT_EQ(none.output.find("START_TIME"), std::string::npos) << none.output;  // no empty table
  auto none_json =
      Cli("-o json booking find --text laser --duration 120 --from 2099-03-02T08:00:00Z --to "
          "2099-03-02T11:00:00Z");
  EXPECT_NE(none_json.output.find("\"resources_matched\": 1"), std::string::npos)
      << none_json.output;
  EXPECT_NE(none_json.output.find("\"slots\": []"), std::string::npos) << none_json.output;
  EXPECT_NE(none_json.output.find("PASS_OVER_REASON_FULLY_BOOKED"), std::string::npos)
      << none_json.output;

  auto free = Cli("booking free fab-laser --from 2099-03-02T07:00:00Z --to 2099-03-02T13:00:00Z");
  ASSERT_EQ(free.exit_code, 0) << free.output;
  EXPECT_NE(free.output.find("2099-03-02 08:00 +01:00"), std::string::npos) << free.output;
  EXPECT_NE(free.output.find("2099-03-02 12:00 +01:00"), std::string::npos) << free.output;

  const std::string ics = "/tmp/infrashare-cli-test-" + std::to_string(getpid()) + ".ics";
  auto calendar = Cli("booking calendar --resource fab-laser --file " + ics);
  ASSERT_EQ(calendar.exit_code, 0) << calendar.output;
  std::ifstream in(ics);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("BEGIN:VCALENDAR"), std::string::npos) << text;
  EXPECT_NE(text.find("SUMMARY:Laser course"), std::string::npos) << text;
  EXPECT_NE(text.find("DTSTART:20990302T080000Z"), std::string::npos) << text;
  std::remove(ics.c_str());

  auto cancelled = Cli("booking cancel " + id + " --reason 'course moved'");
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.output;
  auto list = Cli("booking list --resource fab-laser --state cancelled");
  EXPECT_NE(list.output.find(id), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("cancelled"), std::string::npos) << list.output;
}

// People read and type times in their own zone, each shown with its offset; programs get UTC.
// (2030: the time zone library knows no DST change after 2037.)
TEST_F(CliTest, ShowsAndReadsTimesInThePersonsZone) {
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  ASSERT_EQ(Cli("resource create --id fab-laser --name Laser --kind equipment --owner fablab "
                "--lat 52.51 --lon 6.09")
                .exit_code,
            0);
  auto book = [&](const std::string& start, const std::string& end, const std::string& more = "") {
    return Cli("-o json booking create --resource fab-laser --for fablab --start " + start +
               " --end " + end + " " + more);
  };
  // Without an offset a time is read in Europe/Amsterdam, the default: 09:00 in winter is 08:00Z.
  auto winter = book("2030-03-04T09:00", "'2030-03-04 12:00'");
  ASSERT_EQ(winter.exit_code, 0) << winter.output;
  const auto booking = nlohmann::json::parse(winter.output);
  EXPECT_EQ(booking["start_time"], "2030-03-04T08:00:00Z") << winter.output;
  EXPECT_EQ(booking["end_time"], "2030-03-04T11:00:00Z") << winter.output;
  const std::string id = booking["id"];
  auto summer = book("2030-07-01T09:00", "2030-07-01T10:00");
  ASSERT_EQ(summer.exit_code, 0) << summer.output;
  EXPECT_EQ(nlohmann::json::parse(summer.output)["start_time"], "2030-07-01T07:00:00Z");
  auto day = Cli("-o json booking list --resource fab-laser --from 2030-07-01 --to 2030-07-02");
  ASSERT_EQ(day.exit_code, 0) << day.output;
  EXPECT_EQ(nlohmann::json::parse(day.output)["bookings"].size(), 1u) << day.output;

  // Shown in that zone with its offset, in key-value lines and tables.
  auto shown = Cli("booking get " + id);
  EXPECT_NE(shown.output.find("start_time: 2030-03-04 09:00 +01:00"), std::string::npos)
      << shown.output;
  // The id and the state come first, as in tables.
  EXPECT_EQ(shown.output.rfind("id: " + id + "\nstate: ", 0), 0u) << shown.output;
  auto listed = Cli("booking list --resource fab-laser");
  EXPECT_NE(listed.output.find("2030-07-01 09:00 +02:00"), std::string::npos) << listed.output;
  auto tokyo = Cli("booking get " + id + " --tz Asia/Tokyo");
  EXPECT_NE(tokyo.output.find("start_time: 2030-03-04 17:00 +09:00"), std::string::npos)
      << tokyo.output;
  // A resource's times are in its own zone, whatever zone the person's machine is in (TZ); only
  // --tz overrides it.
  auto new_york = Cli("booking get " + id, kAdminToken, "TZ=America/New_York ");
  EXPECT_NE(new_york.output.find("start_time: 2030-03-04 09:00 +01:00"), std::string::npos)
      << new_york.output;
  auto typed_in_tokyo = book("2030-03-05T17:00", "2030-03-05T18:00", "--tz Asia/Tokyo");
  ASSERT_EQ(typed_in_tokyo.exit_code, 0) << typed_in_tokyo.output;
  EXPECT_EQ(nlohmann::json::parse(typed_in_tokyo.output)["start_time"], "2030-03-05T08:00:00Z");
  // A lab in Curaçao keeps its own clock: 09:00 there is 13:00Z, typed and shown so, also beside
  // an Amsterdam booking in one list.
  auto lab =
      Cli("resource create --id cw-lab --name 'Lab Willemstad' --kind lab --owner fablab "
          "--lat 12.1 --lon -68.9 --json '{\"time_zone\": \"America/Curacao\"}'");
  ASSERT_EQ(lab.exit_code, 0) << lab.output;
  auto curacao =
      Cli("-o json booking create --resource cw-lab --for fablab --start 2030-03-04T09:00 "
          "--end 2030-03-04T10:00",
          kAdminToken, "TZ=Europe/Amsterdam ");
  ASSERT_EQ(curacao.exit_code, 0) << curacao.output;
  EXPECT_EQ(nlohmann::json::parse(curacao.output)["start_time"], "2030-03-04T13:00:00Z");
  auto both = Cli("booking list --org fablab");
  EXPECT_NE(both.output.find("2030-03-04 09:00 -04:00"), std::string::npos) << both.output;
  EXPECT_NE(both.output.find("2030-03-04 09:00 +01:00"), std::string::npos) << both.output;

  // 02:30 on the last Sunday of March does not exist in Amsterdam; on the last Sunday of October
  // it comes twice, and the first (summer time, 00:30Z) is meant.
  auto gap = book("2030-03-31T02:30", "2030-03-31T04:00");
  EXPECT_EQ(gap.exit_code, 2) << gap.output;
  EXPECT_NE(gap.output.find("--start: '2030-03-31T02:30' does not exist in Europe/Amsterdam: the "
                            "clocks go from 02:00 to 03:00 that night"),
            std::string::npos)
      << gap.output;
  auto overlap = book("2030-10-27T02:30", "2030-10-27T04:00");
  ASSERT_EQ(overlap.exit_code, 0) << overlap.output;
  EXPECT_EQ(nlohmann::json::parse(overlap.output)["start_time"], "2030-10-27T00:30:00Z");

  // An offset without seconds, as people type it, is taken as it is.
  auto zulu = book("2030-03-06T13:00Z", "'2030-03-06 15:00+01:00'");
  ASSERT_EQ(zulu.exit_code, 0) << zulu.output;
  EXPECT_EQ(nlohmann::json::parse(zulu.output)["start_time"], "2030-03-06T13:00:00Z");
  EXPECT_EQ(nlohmann::json::parse(zulu.output)["end_time"], "2030-03-06T14:00:00Z");

  EXPECT_EQ(Cli("booking get " + id + " --tz Mars/Olympus").exit_code, 2);
  auto nonsense = book("tomorrow", "2030-03-05T18:00");
  EXPECT_EQ(nonsense.exit_code, 2) << nonsense.output;
  EXPECT_NE(nonsense.output.find("'tomorrow' is not a time such as 2027-03-02T09:00"),
            std::string::npos)
      << nonsense.output;
}

// Tables begin with what a person acts on: the id, then the state. Availability shows the
// closures that explain a missing window.
TEST_F(CliTest, TablesBeginWithIdAndStateAndAvailabilityShowsClosures) {
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  ASSERT_EQ(Cli("resource create --id fab-laser --name Laser --kind equipment --owner fablab "
                "--lat 52.51 --lon 6.09")
                .exit_code,
            0);
  ASSERT_EQ(Cli("booking create --resource fab-laser --for fablab --start 2030-03-04T09:00 --end "
                "2030-03-04T10:00")
                .exit_code,
            0);
  ASSERT_EQ(Cli("programme create --resource fab-laser --kind demo --title Demo --capacity 5 "
                "--start 2030-03-04T13:00 --end 2030-03-04T14:00")
                .exit_code,
            0);
  auto header = [&](const std::string& args) {
    auto run = Cli(args);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    std::vector<std::string> words =
        absl::StrSplit(run.output.substr(0, run.output.find('\n')), ' ', absl::SkipEmpty());
    return absl::StrJoin(words.begin(), words.begin() + std::min<size_t>(2, words.size()), " ");
  };
  EXPECT_EQ(header("resource list --owner fablab"), "ID STATE");
  EXPECT_EQ(header("search --text laser"), "ID STATE");
  EXPECT_EQ(header("booking list --resource fab-laser"), "ID STATE");
  EXPECT_EQ(header("programme list --resource fab-laser --from 2030-03-01"), "ID STATE");

  // Before anything is published the laser is bookable at any time, and the CLI says so.
  auto unpublished = Cli("availability get fab-laser --from 2030-03-04 --to 2030-03-07");
  ASSERT_EQ(unpublished.exit_code, 0) << unpublished.output;
  EXPECT_NE(unpublished.output.find("no opening hours published: open at any time"),
            std::string::npos)
      << unpublished.output;

  ASSERT_EQ(Cli("availability publish fab-laser --rule 'FREQ=DAILY|08:30|480|2030-01-01' "
                "--closure '2030-03-05T00:00|2030-03-06T00:00|Onderhoud laser'")
                .exit_code,
            0);
  auto week = Cli("availability get fab-laser --from 2030-03-04 --to 2030-03-07");
  ASSERT_EQ(week.exit_code, 0) << week.output;
  EXPECT_NE(week.output.find("2030-03-04 08:30 +01:00"), std::string::npos) << week.output;
  EXPECT_EQ(week.output.find("2030-03-05 08:30"), std::string::npos) << week.output;
  const size_t closed = week.output.find("closed:");
  ASSERT_NE(closed, std::string::npos) << week.output;
  EXPECT_NE(week.output.find("2030-03-05 00:00 +01:00", closed), std::string::npos) << week.output;
  EXPECT_NE(week.output.find("Onderhoud laser", closed), std::string::npos) << week.output;
  auto later = Cli("availability get fab-laser --from 2030-04-01 --to 2030-04-02");
  EXPECT_EQ(later.output.find("closed:"), std::string::npos) << later.output;  // not in the period
}

TEST_F(CliTest, MakesListsAndRevokesACalendarFeed) {
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  // This server has no HTTP listener and no http.base_url: the address is the path alone.
  auto made = Cli("booking calendar-feed create --org fablab --description 'Planning'");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const size_t at = made.output.find("/calendar/isc_");
  ASSERT_NE(at, std::string::npos) << made.output;
  EXPECT_TRUE(at == 0 || made.output[at - 1] == '\n') << made.output;  // no host before it
  EXPECT_NE(made.output.find("not shown again"), std::string::npos) << made.output;
  const std::string secret = made.output.substr(at + 10, made.output.find(".ics", at) - at - 10);
  ASSERT_EQ(secret.size(), 36u) << made.output;
  auto listed = Cli("-o json booking calendar-feed list --org fablab");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  const auto feeds = nlohmann::json::parse(listed.output)["feeds"];
  ASSERT_EQ(feeds.size(), 1u) << listed.output;
  EXPECT_EQ(feeds[0]["description"], "Planning");
  EXPECT_EQ(listed.output.find(secret), std::string::npos) << listed.output;
  const std::string id = feeds[0]["id"];
  ASSERT_EQ(Cli("booking calendar-feed revoke " + id).exit_code, 0);
  auto again = Cli("booking calendar-feed revoke " + id);
  EXPECT_EQ(again.exit_code, 4);  // NOT_FOUND (README "Exit codes")
  EXPECT_NE(again.output.find("NOT_FOUND"), std::string::npos) << again.output;
  // Neither --org nor --resource: a feed of the caller's own organisation, which a platform
  // admin's token does not have.
  auto neither = Cli("booking calendar-feed create");
  EXPECT_EQ(neither.exit_code, 4) << neither.output;
  EXPECT_NE(neither.output.find("organization 'platform' not found"), std::string::npos)
      << neither.output;
}

TEST_F(CliTest, SubscribesAWebhookRotatesItsSecretAndDeletesIt) {
  // A receiver on this machine: the server must allow plain http to loopback, as tests do.
  Config config = TestServer::DefaultConfig();
  config.webhooks.allow_http = true;
  config.webhooks.allow_private_targets = true;
  server_.reset();
  server_ = std::make_unique<TestServer>(redis_->url(), config);
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  auto made =
      Cli("webhook create http://127.0.0.1:9/hook --org fablab --event booking "
          "--event desk-offer --description Planning");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  ASSERT_EQ(made.output.rfind("whsec_", 0), 0u) << made.output;  // the secret first, on its own
  EXPECT_NE(made.output.find("not shown again"), std::string::npos) << made.output;
  const std::string secret = made.output.substr(0, made.output.find('\n'));
  auto listed = Cli("-o json webhook list --org fablab");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  const auto subscriptions = nlohmann::json::parse(listed.output)["subscriptions"];
  ASSERT_EQ(subscriptions.size(), 1u) << listed.output;
  EXPECT_EQ(subscriptions[0]["description"], "Planning");
  EXPECT_EQ(subscriptions[0]["event_types"].size(), 2u) << listed.output;
  EXPECT_EQ(listed.output.find(secret), std::string::npos) << "shown once";
  const std::string id = subscriptions[0]["id"];
  auto paused = Cli("-o json webhook update " + id + " --enabled false");
  ASSERT_EQ(paused.exit_code, 0) << paused.output;
  EXPECT_EQ(nlohmann::json::parse(paused.output).value("enabled", true), false) << paused.output;
  EXPECT_EQ(Cli("webhook update " + id).exit_code, 2);  // nothing to change
  auto rotated = Cli("webhook rotate-secret " + id + " --overlap 60");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.output;
  ASSERT_EQ(rotated.output.rfind("whsec_", 0), 0u) << rotated.output;
  EXPECT_NE(rotated.output.substr(0, rotated.output.find('\n')), secret);
  EXPECT_EQ(Cli("webhook deliveries " + id).exit_code, 0);
  EXPECT_EQ(Cli("webhook dead-letters " + id).exit_code, 0);
  auto typo = Cli("webhook create http://127.0.0.1:9/ --event bookin");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.output.find("booking"), std::string::npos) << typo.output;
  ASSERT_EQ(Cli("webhook delete " + id).exit_code, 0);
  EXPECT_EQ(Cli("webhook get " + id).exit_code, 4);  // NOT_FOUND
}

TEST_F(CliTest, PlansAnEventRegistersAPersonAndWritesItsCalendar) {
  ASSERT_EQ(Cli("org create --id perron038 --name Perron038 --kind company").exit_code, 0);
  auto lab =
      Cli("resource create --id perron-lab --name 'Perron038 lab' --kind lab --owner perron038 "
          "--lat 52.51 --lon 6.09");
  ASSERT_EQ(lab.exit_code, 0) << lab.output;
  auto created = Cli(
      "-o json programme create --resource perron-lab --kind open-day --title 'Open dag Zwolle' "
      "--start 2099-03-12T13:00:00+01:00 --end 2099-03-12T17:00:00+01:00 --capacity 2 "
      "--audience students --audience smes --visibility public");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const auto event = nlohmann::json::parse(created.output);
  const std::string id = event["id"].get<std::string>();
  EXPECT_FALSE(event["booking_id"].get<std::string>().empty()) << created.output;

  auto clash =
      Cli("booking create --resource perron-lab --start 2099-03-12T14:00:00+01:00 "
          "--end 2099-03-12T15:00:00+01:00 --for perron038");
  EXPECT_EQ(clash.exit_code, 8);
  EXPECT_NE(clash.output.find("SLOT_TAKEN"), std::string::npos) << clash.output;
  auto bad_kind =
      Cli("programme create --network x --kind party --title t --capacity 1 "
          "--start 2099-03-12T13:00:00Z --end 2099-03-12T14:00:00Z");
  EXPECT_EQ(bad_kind.exit_code, 2);
  EXPECT_NE(bad_kind.output.find("--kind"), std::string::npos) << bad_kind.output;

  auto registered =
      Cli("programme register " + id + " --name 'Zoë de Vries' --email zoe@example.nl");
  ASSERT_EQ(registered.exit_code, 0) << registered.output;
  EXPECT_NE(registered.output.find("state: admitted"), std::string::npos) << registered.output;
  auto listed = Cli("programme list --resource perron-lab --from 2099-03-01T00:00:00Z");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("Open dag Zwolle"), std::string::npos) << listed.output;

  const std::string ics = "/tmp/infrashare-cli-test-" + std::to_string(getpid()) + "-event.ics";
  auto calendar =
      Cli("programme ical --resource perron-lab --from 2099-03-01T00:00:00Z --to "
          "2099-04-01T00:00:00Z --file " +
          ics);
  ASSERT_EQ(calendar.exit_code, 0) << calendar.output;
  std::ifstream in(ics);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("DTSTART;TZID=Europe/Amsterdam:20990312T130000"), std::string::npos) << text;
  EXPECT_NE(text.find("SUMMARY:Open dag Zwolle"), std::string::npos) << text;
  std::remove(ics.c_str());

  auto cancelled = Cli("programme cancel " + id + " --reason 'zaal onder water'");
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.output;
  EXPECT_NE(cancelled.output.find("state: cancelled"), std::string::npos) << cancelled.output;
  auto rebooked =
      Cli("booking create --resource perron-lab --start 2099-03-12T14:00:00+01:00 "
          "--end 2099-03-12T15:00:00+01:00 --for perron038");
  EXPECT_EQ(rebooked.exit_code, 0) << rebooked.output;
}

TEST_F(CliTest, LoadsTheDemoCatalogueTwiceWithoutDuplicates) {
  auto first = Cli("catalog load " INFRASHARE_SOURCE_DIR "/config/demo/catalog.json");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto second = Cli("catalog load " INFRASHARE_SOURCE_DIR "/config/demo/catalog.json");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("0 created"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("created 0,"), std::string::npos) << second.output;

  auto networks = Cli("-o json network list");
  for (const char* name :
       {"Health Noord", "TechOost", "SCALE", "GeLUK", "New Waves", "Greenport Horti Campus",
        "GreenTech Campus MRA", "SNEL", "PEOPLE", "IT Verband Zuid-Holland",
        "Digital Industry Boost", "MRA Circulair en Digitaal", "Greenchain NH",
        "Groene Transitie in Water", "Chemie en Food"})
    EXPECT_NE(networks.output.find(name), std::string::npos) << name;
  auto windows =
      Cli("availability get scale-lab --from 2026-03-27T00:00:00Z --to 2026-03-31T00:00:00Z");
  EXPECT_EQ(windows.exit_code, 0) << windows.output;
  EXPECT_NE(windows.output.find("2026-03-30 08:30 +02:00"), std::string::npos)
      << windows.output;  // CEST
  EXPECT_NE(windows.output.find("2026-03-27 08:30 +01:00"), std::string::npos)
      << windows.output;  // CET
}

// The value of "field": "..." in JSON output, "" when absent.
std::string JsonField(const std::string& json, const std::string& field) {
  const std::string key = "\"" + field + "\": \"";
  size_t at = json.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  return json.substr(at, json.find('"', at) - at);
}

TEST_F(CliTest, AsksAnswersAndReportsThroughTheDesk) {
  ASSERT_EQ(Cli("org create --id bakery --name 'Bakkerij Jansen' --kind company --sme").exit_code,
            0);
  ASSERT_EQ(Cli("org create --id fablab --name Fablab --kind company").exit_code, 0);
  ASSERT_EQ(
      Cli("network create --id techoost --name TechOost --member bakery --member fablab").exit_code,
      0);
  auto token = Cli("-o json token create --org fablab --role desk-responder");
  ASSERT_EQ(token.exit_code, 0) << token.output;
  const std::string responder_token = JsonField(token.output, "token");
  const std::string token_id = JsonField(token.output, "id");
  ASSERT_FALSE(responder_token.empty()) << token.output;

  auto added =
      Cli("-o json desk responder add --org fablab --name 'Fablab desk' --skill innovation "
          "--theme digitalisation --capacity 3 --hours 'FREQ=DAILY 00:00 1440' --token-id " +
          token_id);
  ASSERT_EQ(added.exit_code, 0) << added.output;
  const std::string responder = JsonField(added.output, "id");
  ASSERT_FALSE(responder.empty()) << added.output;

  // Responder mode, started before the question comes in: the offer arrives on the stream and is
  // accepted on the spot (bounded: `timeout` ends it if no offer ever came).
  CliRun followed{-1, ""};
  std::thread follower([&] {
    followed =
        Cli("desk follow " + responder + " --accept --limit 1", responder_token, "timeout 20 ");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto asked =
      Cli("-o json desk ask --need innovation --theme digitalisation --sme --text 'Help with a "
          "webshop' "
          "--entry bakery --name 'Jan Jansen' --email jan@example.org --follow-up --how 'web "
          "form'");
  ASSERT_EQ(asked.exit_code, 0) << asked.output;
  const std::string inquiry = JsonField(asked.output, "id");
  follower.join();
  ASSERT_EQ(followed.exit_code, 0) << followed.output;
  EXPECT_NE(followed.output.find(" offered " + inquiry), std::string::npos) << followed.output;
  EXPECT_NE(followed.output.find("accepted " + inquiry), std::string::npos) << followed.output;
  auto shown = Cli("-o json desk get " + inquiry, responder_token);
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("\"INQUIRY_STATE_ASSIGNED\""), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("jan@example.org"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("\"how\": \"web form\""), std::string::npos) << shown.output;
  auto consent = Cli("-o json desk consent " + inquiry + " --share --follow-up --how 'by phone'");
  ASSERT_EQ(consent.exit_code, 0) << consent.output;
  EXPECT_NE(consent.output.find("\"share_across_networks\": true"), std::string::npos)
      << consent.output;
  auto resolved = Cli(
      "desk resolve " + inquiry + " --as " + responder + " --outcome answered --note 'called back'",
      responder_token);
  ASSERT_EQ(resolved.exit_code, 0) << resolved.output;
  ASSERT_EQ(Cli("desk feedback " + inquiry + " --score 5 --recommend --again").exit_code, 0);
  EXPECT_NE(Cli("desk follow-up " + inquiry).exit_code, 0);  // neither --started nor --not-started
  auto answered =
      Cli("-o json desk follow-up " + inquiry + " --started --note 'de cursus is begonnen'");
  ASSERT_EQ(answered.exit_code, 0) << answered.output;
  EXPECT_NE(answered.output.find("STATE_ANSWERED"), std::string::npos) << answered.output;

  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::string from =
      date::format("%FT%TZ", std::chrono::sys_seconds(today - std::chrono::days(1)));
  const std::string to =
      date::format("%FT%TZ", std::chrono::sys_seconds(today + std::chrono::days(2)));
  auto report = Cli("-o json desk report --network techoost --from " + from + " --to " + to);
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("\"average_score\": 5"), std::string::npos) << report.output;
  EXPECT_NE(report.output.find("\"confirmed_by_asker\": \"1\""), std::string::npos)
      << report.output;
  // The impact report: its desk section over the same inquiries, as a CSV export; a backwards
  // period names the field.
  auto impact = Cli("impact --network techoost --from " + from + " --to " + to + " --format csv");
  ASSERT_EQ(impact.exit_code, 0) << impact.output;
  EXPECT_EQ(impact.output.rfind("section,measure,current,previous\r\n", 0), 0u) << impact.output;
  EXPECT_NE(impact.output.find("desk,average_score,5,0\r\n"), std::string::npos) << impact.output;
  // By default a table, one measure a line beside the period before; -o json the report itself.
  auto table = Cli("impact --network techoost --from " + from + " --to " + to);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output.find('{'), std::string::npos) << table.output;
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream lines(table.output);
  std::string first;
  std::getline(lines, first);
  EXPECT_EQ(absl::StrJoin(absl::StrSplit(first, ' ', absl::SkipEmpty()), " "),
            "MEASURE CURRENT PREVIOUS");
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    ASSERT_FALSE(cells.empty()) << table.output;
    rows[cells[0]] = {cells.begin() + 1, cells.end()};
  }
  EXPECT_EQ(rows["desk.average_score"], (std::vector<std::string>{"5", "0"})) << table.output;
  EXPECT_EQ(rows["desk.inquiries"], (std::vector<std::string>{"1", "0"})) << table.output;
  EXPECT_EQ(rows["report.network_id"], (std::vector<std::string>{"techoost"})) << table.output;
  auto json = Cli("-o json impact --network techoost --from " + from + " --to " + to);
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(nlohmann::json::parse(json.output)["current"]["desk"]["average_score"], 5)
      << json.output;
  auto backwards = Cli("impact --network techoost --from " + to + " --to " + from);
  EXPECT_EQ(backwards.exit_code, 3);
  // (the table comes from the export, whose request holds the report's: report.end_time)
  EXPECT_NE(backwards.output.find("end_time]"), std::string::npos) << backwards.output;

  auto bad = Cli("desk ask --need astrology --text hi --entry bakery");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--need"), std::string::npos) << bad.output;
  auto empty = Cli("desk ask --need training --text ' ' --entry bakery");
  EXPECT_EQ(empty.exit_code, 3);
  EXPECT_NE(empty.output.find("[field: text]"), std::string::npos) << empty.output;
}

TEST_F(CliTest, PlansARotationOfAMobileLab) {
  ASSERT_EQ(Cli("org create --id fleet --name 'Mobiele labs' --kind company").exit_code, 0);
  ASSERT_EQ(Cli("org create --id school --name 'ROC' --kind vocational-school").exit_code, 0);
  const std::string van = R"({"displayName":"Mobiel lab","kind":"RESOURCE_KIND_MOBILE_LAB",)"
                          R"("mobility":"MOBILITY_MOBILE","ownerOrganizationId":"fleet",)"
                          R"("accessPolicy":"ACCESS_POLICY_PUBLIC",)"
                          R"("location":{"point":{"latitude":52.51,"longitude":6.09}},)"
                          R"("homeBase":{"point":{"latitude":52.51,"longitude":6.09}}})";
  auto created = Cli("resource create --id fleet-van --json '" + van + "'");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  std::string pool;
  CliRun made{-1, ""};
  for (int i = 0; i < 100 && pool.empty(); ++i) {  // the scheduler follows the registry
    made =
        Cli("-o json rotation pool create --name 'Vans' --unit fleet-van --owner fleet "
            "--maintenance-after 20");
    if (made.exit_code == 0)
      pool = JsonField(made.output, "id");
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(pool.empty()) << made.output;
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  auto day = [&](int n) {
    return date::format("%FT%TZ", std::chrono::sys_seconds(today + std::chrono::days(n)));
  };
  auto asked =
      Cli("-o json rotation request create --pool " + pool +
          " --org school --at 52.22,6.89 --from " + day(10) + " --to " + day(20) + " --days 3");
  ASSERT_EQ(asked.exit_code, 0) << asked.output;
  const std::string request = JsonField(asked.output, "id");
  auto changed = Cli("rotation request update " + request + " --at 52.22,6.89 --from " + day(10) +
                     " --to " + day(20) + " --days 4");
  ASSERT_EQ(changed.exit_code, 0) << changed.output;
  auto plan = Cli("rotation plan --pool " + pool + " --from " + day(5) + " --to " + day(60));
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_NE(plan.output.find(request), std::string::npos) << plan.output;
  EXPECT_NE(plan.output.find("4 of 4 request-days served"), std::string::npos) << plan.output;
  const std::string plan_id = plan.output.substr(plan.output.find("plan plan_") + 5, 21);
  auto csv = Cli("rotation export " + plan_id + " --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_NE(csv.output.find("fleet-van,assignment,"), std::string::npos) << csv.output;
  auto committed = Cli("rotation commit " + plan_id);
  ASSERT_EQ(committed.exit_code, 0) << committed.output;
  EXPECT_NE(committed.output.find("committed " + plan_id), std::string::npos) << committed.output;
  // Planning again replaces the committed plan; committing that re-books the unit.
  auto again = Cli("rotation plan --pool " + pool + " --from " + day(5) + " --to " + day(60));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("replaces committed plan " + plan_id), std::string::npos)
      << again.output;
  const std::string again_id = again.output.substr(again.output.find("plan plan_") + 5, 21);
  auto recommitted = Cli("rotation commit " + again_id);
  ASSERT_EQ(recommitted.exit_code, 0) << recommitted.output;
  auto shown = Cli("rotation show " + plan_id);
  EXPECT_NE(shown.output.find("(superseded)"), std::string::npos) << shown.output;
  auto bad = Cli("rotation request create --pool " + pool + " --at 52.22,6.89 --from " + day(10) +
                 " --to " + day(11) + " --days 3 --org school");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.output.find("[field: rotation_request.latest_end_time]"), std::string::npos)
      << bad.output;
}

}  // namespace
}  // namespace infrashare::testing

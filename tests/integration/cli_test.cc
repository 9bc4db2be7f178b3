// The `infrashare` CLI as a person uses it, against a real server and Redis.
#include <date/date.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
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
    std::string command = std::string("INFRASHARE_TOKEN='") + token + "' " + wrapper +
                          INFRASHARE_CLI_BIN + " --server " + server_->address() + " " + args +
                          " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    std::array<char, 4096> buffer;
    while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
    int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
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
    for (auto& r : nlohmann::json::parse(listed.output))
      out[r["display_name"].get<std::string>()] = r;
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
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("NOT_FOUND"), std::string::npos) << missing.output;

  auto bad = Cli("resource create --name x --kind lab --owner fablab --lat 99 --lon 6");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("[field: resource.location.point.latitude]"), std::string::npos)
      << bad.output;

  auto anonymous = Cli("org list", "");
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_NE(anonymous.output.find("UNAUTHENTICATED"), std::string::npos) << anonymous.output;
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

  auto clash =
      Cli("booking create --resource fab-laser --start 2099-03-02T10:00:00+01:00 "
          "--end 2099-03-02T11:00:00+01:00 --for fablab");
  EXPECT_EQ(clash.exit_code, 1);
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
  EXPECT_NE(find.output.find("2099-03-02T11:00:00Z"), std::string::npos) << find.output;

  auto free = Cli("booking free fab-laser --from 2099-03-02T07:00:00Z --to 2099-03-02T13:00:00Z");
  ASSERT_EQ(free.exit_code, 0) << free.output;
  EXPECT_NE(free.output.find("2099-03-02T07:00:00Z"), std::string::npos) << free.output;
  EXPECT_NE(free.output.find("2099-03-02T11:00:00Z"), std::string::npos) << free.output;

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
  EXPECT_NE(list.output.find("CANCELLED"), std::string::npos) << list.output;
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
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("NOT_FOUND"), std::string::npos) << again.output;
  auto neither = Cli("booking calendar-feed create");
  EXPECT_NE(neither.output.find("organization_id"), std::string::npos) << neither.output;
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
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_NE(clash.output.find("SLOT_TAKEN"), std::string::npos) << clash.output;
  auto bad_kind =
      Cli("programme create --network x --kind party --title t --capacity 1 "
          "--start 2099-03-12T13:00:00Z --end 2099-03-12T14:00:00Z");
  EXPECT_EQ(bad_kind.exit_code, 1);
  EXPECT_NE(bad_kind.output.find("--kind"), std::string::npos) << bad_kind.output;

  auto registered =
      Cli("programme register " + id + " --name 'Zoë de Vries' --email zoe@example.nl");
  ASSERT_EQ(registered.exit_code, 0) << registered.output;
  EXPECT_NE(registered.output.find("ADMITTED"), std::string::npos) << registered.output;
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
  EXPECT_NE(cancelled.output.find("CANCELLED"), std::string::npos) << cancelled.output;
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
  EXPECT_NE(windows.output.find("2026-03-30T06:30:00Z"), std::string::npos)
      << windows.output;  // CEST
  EXPECT_NE(windows.output.find("2026-03-27T07:30:00Z"), std::string::npos)
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
  EXPECT_NE(followed.output.find("OFFERED " + inquiry), std::string::npos) << followed.output;
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
  EXPECT_EQ(backwards.exit_code, 1);
  // (the table comes from the export, whose request holds the report's: report.end_time)
  EXPECT_NE(backwards.output.find("end_time]"), std::string::npos) << backwards.output;

  auto bad = Cli("desk ask --need astrology --text hi --entry bakery");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("--need"), std::string::npos) << bad.output;
  auto empty = Cli("desk ask --need training --text ' ' --entry bakery");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.output.find("[field: text]"), std::string::npos) << empty.output;
}

TEST_F(CliTest, PlansARotationOfAMobileLab) {
  ASSERT_EQ(Cli("org create --id fleet --name 'Mobiele labs' --kind company").exit_code, 0);
  ASSERT_EQ(Cli("org create --id school --name 'ROC' --kind vocational-school").exit_code, 0);
  const std::string van = R"({"displayName":"Mobiel lab","kind":"RESOURCE_KIND_MOBILE_LAB",)"
                          R"("mobility":"MOBILITY_MOBILE","ownerOrganizationId":"fleet",)"
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
  EXPECT_NE(shown.output.find("(SUPERSEDED)"), std::string::npos) << shown.output;
  auto bad = Cli("rotation request create --pool " + pool + " --at 52.22,6.89 --from " + day(10) +
                 " --to " + day(11) + " --days 3 --org school");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("[field: rotation_request.latest_end_time]"), std::string::npos)
      << bad.output;
}

}  // namespace
}  // namespace infrashare::testing

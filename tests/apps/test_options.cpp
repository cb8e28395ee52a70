// The option tables of the kono subcommands: command line over YAML over defaults, typed
// sections, "did you mean" for unknown keys, and errors naming the option or file.
#include <fstream>

#include "../../apps/kono/options.hpp"
#include "support/kono_test.hpp"

namespace {
using kono::app::Options;

Options make() {
  return Options("train", "kono train ...",
                 {{"data.file", "", "input"},
                  {"train.epochs", "15", "epochs"},
                  {"train.progress", "true", "progress"},
                  {"optimizer.type", "adamw", "type"},
                  {"optimizer.weight_decay", "1e-4", "decay"},
                  {"out", "model.h5", "output"}},
                 {"model", "optimizer"});
}

TEST(Options, DefaultsConfigFileAndCommandLineInThatOrder) {
  kono::test::TempDir dir("options");
  std::ofstream(dir.file("c.yaml")) << "train: {epochs: 7}\nmodel: {modes: [8, 8], type: fno}\nout: from_yaml.h5\n";
  Options o = make();
  o.parse({"--config=" + dir.file("c.yaml"), "--out", "cli.h5", "--data.file=d.h5", "PROBLEM", "--train.progress"});
  EXPECT_EQ(o.integer("train.epochs"), 7);       // YAML over default
  EXPECT_EQ(o.text("out"), "cli.h5");            // command line over YAML
  EXPECT_TRUE(o.flag("train.progress"));         // bare boolean flag
  EXPECT_EQ(o.positional(), std::vector<std::string>{"PROBLEM"});
  EXPECT_TRUE(o.given("data.file"));
  EXPECT_FALSE(o.given("optimizer.type"));
  auto const model = o.section("model");
  EXPECT_EQ(model.at("modes"), kono::LayerConfig({8, 8}));
  EXPECT_EQ(model.at("type"), "fno");
}

TEST(Options, SectionsAreTypedAndDefaultsFollowTheType) {
  Options o = make();
  o.parse({"--optimizer.betas=0.8,0.9"});
  auto s = o.section("optimizer");
  EXPECT_EQ(s.at("type"), "adamw");
  EXPECT_DOUBLE_EQ(s.at("weight_decay").get<double>(), 1e-4);
  EXPECT_DOUBLE_EQ(s.at("betas")[1].get<double>(), 0.9);
  Options p = make();
  p.parse({"--optimizer.type=sgd"});
  EXPECT_FALSE(p.section("optimizer").contains("weight_decay"));  // adamw's default is not sgd's
  EXPECT_EQ(Options::typed_value("true"), kono::LayerConfig(true));
  EXPECT_EQ(Options::typed_value("3"), kono::LayerConfig(3));
  EXPECT_EQ(Options::typed_value("gelu"), kono::LayerConfig("gelu"));
}

TEST(Options, ErrorsNameTheOptionOrFile) {
  kono::test::TempDir dir("options_bad");
  EXPECT_KONO_ERROR(make().parse({"--trian.epochs=3"}), invalid_argument, "did you mean \"train.epochs\"");
  EXPECT_KONO_ERROR(make().parse({"--out"}), invalid_argument, "\"--out\" needs a value");
  Options o = make();
  o.parse({"--train.epochs=many"});
  EXPECT_KONO_ERROR(o.integer("train.epochs"), invalid_argument, "--train.epochs=many is not an integer");
  EXPECT_KONO_ERROR(make().parse({"--config=" + dir.file("none.yaml")}), file_io, "none.yaml");
  std::ofstream(dir.file("bad.yaml")) << "train: {epochs: [1, {a: 2}]}\n";
  EXPECT_KONO_ERROR(make().parse({"--config=" + dir.file("bad.yaml")}), invalid_argument, "bad.yaml");
  std::ofstream(dir.file("typo.yaml")) << "train: {epoch: 3}\n";
  EXPECT_KONO_ERROR(make().parse({"--config=" + dir.file("typo.yaml")}), invalid_argument, "typo.yaml");
  std::ofstream(dir.file("broken.yaml")) << "train: {epochs: 3\n";
  EXPECT_KONO_ERROR(make().parse({"--config=" + dir.file("broken.yaml")}), invalid_argument, "not valid YAML");
}

TEST(Options, HelpListsEveryOptionWithItsDefault) {
  Options o = make();
  o.parse({"--help"});
  EXPECT_TRUE(o.help_requested());
  auto const h = o.help();
  EXPECT_NE(h.find("--train.epochs"), std::string::npos);
  EXPECT_NE(h.find("[default: 15]"), std::string::npos);
  EXPECT_NE(h.find("--config"), std::string::npos);
}
}  // namespace

#include <gtest/gtest.h>
TEST(BurgersDataset, Placeholder) {}

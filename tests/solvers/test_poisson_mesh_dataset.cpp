#include "support/kono_test.hpp"

// The Catch2 main shared by test executables that need no EAL.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

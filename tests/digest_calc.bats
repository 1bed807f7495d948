#!/usr/bin/env bats
load lib/common
@test "placeholder" { false; }

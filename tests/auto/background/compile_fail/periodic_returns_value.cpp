// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
// Must not compile: a PeriodicTask function returning a value (it would be lost).
#include <tasktools/periodictask.h>

int main()
{
    TaskTools::PeriodicTask task(std::chrono::milliseconds(10), [] { return 42; });
    return task.isRunning() ? 1 : 0;
}

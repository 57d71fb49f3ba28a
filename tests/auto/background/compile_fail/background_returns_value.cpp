// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
// Must not compile: a BackgroundTask function returning a value instead of a QFuture.
#include <tasktools/backgroundtask.h>

int main()
{
    TaskTools::BackgroundTask<int> task([] { return 42; });
    return task.isRunning() ? 1 : 0;
}

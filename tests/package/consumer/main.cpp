// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include <tasktools/tasktools.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QThread>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    TaskTools::BlockingThreadedTaskPool pool({.name = QStringLiteral("consumer"), .size = 2});
    pool.start();
    const int answer = pool.run([] { return 6 * 7; });
    const bool offThread = pool.run([] { return QThread::currentThread()->objectName(); })
        == QStringLiteral("consumer");
    try {
        pool.run([]() -> int { throw std::runtime_error("expected"); });
        return 3;
    } catch (const std::runtime_error &) { }
    pool.stop();
    std::printf("consumer: answer %d, ran on the pool thread: %s\n", answer,
                offThread ? "yes" : "no");
    return answer == 42 && offThread ? 0 : 1;
}

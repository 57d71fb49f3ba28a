// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// A Qt Quick dashboard over three pools running a synthetic workload: per pool its counters,
// a running/size gauge, a throughput sparkline, and buttons to start/stop it and add load.
//
//   dashboard                          the interactive window
//   dashboard --screenshot out.png     runs the workload until every pool has completed,
//                                      failed and (if it has a timeout) timed-out tasks, then
//                                      renders the window offscreen to out.png and exits;
//                                      exit code 1 if that did not happen in time
#include "poolworkload.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFileInfo>
#include <QtCore/QScopeGuard>
#include <QtCore/QSet>
#include <QtCore/QTimer>
#include <QtGui/QGuiApplication>
#include <QtGui/QImage>
#include <QtQml/QQmlApplicationEngine>
#include <QtQuick/QQuickWindow>

#include <chrono>
#include <cstdio>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

// The three pools on show: a network client, a database, a CPU-bound worker.
QList<PoolWorkload::Profile> profiles()
{
    using Profile = PoolWorkload::Profile;
    return {
        Profile {.title = QStringLiteral("Network"),
                 .description = QStringLiteral("Asynchronous requests on the pool's event loop; "
                                               "slow ones hit the 800 ms timeout."),
                 .options = {.name = QStringLiteral("network"), .size = 8, .timeout = 800ms},
                 .rate = 14,
                 .asynchronous = true,
                 .minMs = 40,
                 .maxMs = 950,
                 .failureRatio = 0.06,
                 .failureMessage = QStringLiteral("HTTP 503 Service Unavailable")},
        Profile {.title = QStringLiteral("Database"),
                 .description = QStringLiteral("Short asynchronous queries, four connections, a "
                                               "tight 300 ms timeout."),
                 .options = {.name = QStringLiteral("database"), .size = 4, .timeout = 300ms},
                 .rate = 18,
                 .asynchronous = true,
                 .minMs = 20,
                 .maxMs = 340,
                 .failureRatio = 0.08,
                 .failureMessage = QStringLiteral("deadlock detected, transaction rolled back")},
        Profile {.title = QStringLiteral("Thumbnails"),
                 .description = QStringLiteral("Synchronous CPU work, one task at a time on the "
                                               "pool thread; no timeout."),
                 .options = {.name = QStringLiteral("thumbnails")},
                 .rate = 30,
                 .asynchronous = false,
                 .minMs = 2,
                 .maxMs = 12,
                 .failureRatio = 0.04,
                 .failureMessage = QStringLiteral("corrupt JPEG header")},
    };
}

// True once the picture shows every kind of outcome the workload produces.
bool showsEveryOutcome(const QList<PoolWorkload *> &workloads)
{
    for (const PoolWorkload *w : workloads) {
        const PoolStatus *s = w->status();
        if (s->completed() == 0 || s->failed() == 0)
            return false;
        if (w->timeoutMs() > 0 && s->timedOut() == 0)
            return false;
    }
    return true;
}

// Renders the window offscreen once the workload has shown every outcome and the sparklines
// have a few seconds of history, saves it to `path` and checks what was written.
void screenshotWhenReady(QQuickWindow *window, const QList<PoolWorkload *> &workloads,
                         const QString &path, int settleMs, int timeoutMs)
{
    auto *poll = new QTimer(window);
    auto *clock = new QElapsedTimer;
    clock->start();
    bool burstSent = false;
    QObject::connect(poll, &QTimer::timeout, window, [=]() mutable {
        const qint64 elapsed = clock->elapsed();
        // Shortly before the picture, a burst on the first pool: its gauge fills and tasks
        // wait in its buffer, as under a real spike.
        if (!burstSent && elapsed >= settleMs - 1200) {
            burstSent = true;
            workloads.first()->addLoad(40);
        }
        const bool ready = elapsed >= settleMs && showsEveryOutcome(workloads);
        if (!ready && elapsed < timeoutMs)
            return;
        poll->stop();
        delete clock;
        if (!ready) {
            std::fprintf(stderr,
                         "dashboard: the workload did not show every outcome within "
                         "%d ms\n",
                         timeoutMs);
            QCoreApplication::exit(1);
            return;
        }
        const QImage image = window->grabWindow();
        QDir().mkpath(QFileInfo(path).absolutePath());
        if (image.isNull() || !image.save(path)) {
            std::fprintf(stderr, "dashboard: could not render or save %s\n", qPrintable(path));
            QCoreApplication::exit(1);
            return;
        }
        // What was written must be the whole window, and a picture rather than a blank.
        const QImage saved(path);
        QSet<QRgb> colors;
        for (int y = 0; y < saved.height(); y += 7) {
            for (int x = 0; x < saved.width(); x += 7)
                colors.insert(saved.pixel(x, y));
        }
        if (saved.size() != image.size() || colors.size() < 32) {
            std::fprintf(stderr, "dashboard: %s looks wrong (%dx%d, %d colours)\n",
                         qPrintable(path), saved.width(), saved.height(), int(colors.size()));
            QCoreApplication::exit(1);
            return;
        }
        std::printf("dashboard: wrote %s (%dx%d)\n", qPrintable(QFileInfo(path).absoluteFilePath()),
                    saved.width(), saved.height());
        QCoreApplication::exit(0);
    });
    poll->start(50);
}

} // namespace

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("TaskTools dashboard"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Live PoolStatus of three busy pools."));
    parser.addHelpOption();
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QStringLiteral("Render the window to <file> once the workload has settled, then exit."),
        QStringLiteral("file"));
    const QCommandLineOption settleOption(
        QStringLiteral("settle-ms"),
        QStringLiteral("With --screenshot: run the workload at least <ms> first (default 9000)."),
        QStringLiteral("ms"), QStringLiteral("9000"));
    parser.addOptions({screenshotOption, settleOption});
    parser.process(app);
    const bool screenshot = parser.isSet(screenshotOption);
    if (screenshot) {
        // No GPU needed: CI renders offscreen (QT_QPA_PLATFORM=offscreen).
        QQuickWindow::setGraphicsApi(QSGRendererInterface::Software);
    }

    QList<PoolWorkload *> workloads;
    QVariantList forQml;
    for (const PoolWorkload::Profile &profile : profiles()) {
        auto *workload = new PoolWorkload(profile);
        workloads.append(workload);
        forQml.append(QVariant::fromValue(workload));
    }

    // Destroyed after the engine (no binding outlives its pool) and before the application
    // object: a pool's destructor drains it, which needs its thread's events delivered.
    const auto deleteWorkloads = qScopeGuard([&workloads] { qDeleteAll(workloads); });

    QQmlApplicationEngine engine;
    // Where `import TaskTools` is found: this build tree's module, or an install's
    // (find_package(TaskTools) sets TaskTools_QML_IMPORT_PATH; see CMakeLists.txt).
    engine.addImportPath(QStringLiteral(TASKTOOLS_QML_IMPORT_PATH));
    engine.setInitialProperties({{QStringLiteral("workloads"), forQml}});
    engine.load(QUrl(QStringLiteral("qrc:/qt-project.org/imports/Dashboard/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (!window)
        return 1;

    for (PoolWorkload *workload : workloads)
        workload->start();

    if (screenshot) {
        screenshotWhenReady(window, workloads, parser.value(screenshotOption),
                            parser.value(settleOption).toInt(), 60000);
    }
    return app.exec();
}

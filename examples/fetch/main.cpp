// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// fetchdemo: fetch thousands of URLs through an AsyncThreadedTaskPool.
//
// The pool's thread owns a QNetworkAccessManager (created by a context when the pool starts,
// deleted when it stops); each task issues one GET on that thread and returns a QFuture that
// the reply finishes. The pool runs at most `--size` requests at once and gives each
// `--timeout` ms from its start; the main thread only submits, draws a progress line from the
// pool's PoolStatus, and collects results with QFuture::then(context, ...).
//
// With no --urls, it starts a small HTTP server in-process on loopback (with slow and failing
// routes) and fetches a few thousand URLs from it.

#include "demoserver.h"

#include <tasktools/tasktools.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QFutureWatcher>
#include <QtCore/QPromise>
#include <QtCore/QRandomGenerator>
#include <QtCore/QTextStream>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

using namespace TaskTools;

namespace {

struct Fetched
{
    int status = 0;
    qint64 bytes = 0;
    qint64 latencyUs = 0; // from the request's start on the pool thread
};

struct HttpError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

// One GET on the pool thread. The returned future finishes with the reply; if the pool cancels
// it (timeout, or a stop that gave up), the reply is aborted.
QFuture<Fetched> fetch(QNetworkAccessManager *nam, const QUrl &url)
{
    auto promise = std::make_shared<QPromise<Fetched>>();
    promise->start();
    QFuture<Fetched> future = promise->future();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    QNetworkReply *reply = nam->get(request);
    // The producer side of a QPromise cannot observe cancellation by callback: a watcher on
    // our own future tells us when the pool canceled it.
    auto *watcher = new QFutureWatcher<Fetched>(reply);
    QObject::connect(watcher, &QFutureWatcher<Fetched>::canceled, reply, &QNetworkReply::abort);
    watcher->setFuture(future);
    QObject::connect(reply, &QNetworkReply::finished, reply, [reply, promise, clock] {
        reply->deleteLater();
        if (promise->isCanceled()) {
            promise->finish();
            return;
        }
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() != QNetworkReply::NoError) {
            const QString message =
                status ? QStringLiteral("HTTP %1").arg(status) : reply->errorString();
            promise->setException(std::make_exception_ptr(HttpError(message.toStdString())));
        } else {
            promise->addResult(
                Fetched {status, reply->readAll().size(), clock->nsecsElapsed() / 1000});
        }
        promise->finish();
    });
    return future;
}

QList<QUrl> demoUrls(const QList<QUrl> &bases, int count)
{
    QList<QUrl> urls;
    auto *rng = QRandomGenerator::global();
    for (int i = 0; i < count; ++i) {
        QUrl url = bases.at(i % bases.size());
        const int dice = int(rng->bounded(100));
        if (dice < 84)
            url.setPath(QStringLiteral("/ok/%1").arg(rng->bounded(64, 16384)));
        else if (dice < 88)
            url.setPath(QStringLiteral("/slow/%1").arg(rng->bounded(20, 120))); // in time
        else if (dice < 92)
            url.setPath(QStringLiteral("/slow/%1").arg(rng->bounded(400, 900))); // too slow
        else if (dice < 97)
            url.setPath(QStringLiteral("/fail"));
        else
            url.setPath(QStringLiteral("/drop"));
        urls.append(url);
    }
    return urls;
}

std::optional<QList<QUrl>> readUrls(const QString &path)
{
    QFile file;
    if (path == QLatin1String("-")) {
        if (!file.open(stdin, QIODevice::ReadOnly))
            return std::nullopt;
    } else {
        file.setFileName(path);
        if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
            return std::nullopt;
    }
    QList<QUrl> urls;
    QTextStream in(&file);
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        const QUrl url = QUrl::fromUserInput(line);
        if (url.isValid())
            urls.append(url);
    }
    return urls;
}

qint64 percentile(std::vector<qint64> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const std::size_t index = std::min(sorted.size() - 1, std::size_t(p * double(sorted.size())));
    return sorted[index];
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fetchdemo"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Fetches URLs through a TaskTools pool. Without --urls, serves and fetches its own."));
    parser.addHelpOption();
    QCommandLineOption urlsOption(QStringLiteral("urls"),
                                  QStringLiteral("Fetch the URLs listed in <file> (one per line; "
                                                 "- for standard input)."),
                                  QStringLiteral("file"));
    QCommandLineOption countOption(QStringLiteral("count"),
                                   QStringLiteral("URLs to fetch from the built-in server."),
                                   QStringLiteral("n"), QStringLiteral("3000"));
    QCommandLineOption sizeOption(QStringLiteral("size"), QStringLiteral("Requests at once."),
                                  QStringLiteral("n"), QStringLiteral("32"));
    QCommandLineOption timeoutOption(QStringLiteral("timeout"),
                                     QStringLiteral("Per-request timeout in ms."),
                                     QStringLiteral("ms"), QStringLiteral("200"));
    parser.addOptions({urlsOption, countOption, sizeOption, timeoutOption});
    parser.process(app);

    std::unique_ptr<DemoServer> server;
    QList<QUrl> urls;
    if (parser.isSet(urlsOption)) {
        const std::optional<QList<QUrl>> read = readUrls(parser.value(urlsOption));
        if (!read) {
            std::fprintf(stderr, "fetchdemo: cannot read %s\n",
                         qPrintable(parser.value(urlsOption)));
            return 2;
        }
        urls = *read;
    } else {
        server = std::make_unique<DemoServer>();
        urls = demoUrls(server->baseUrls(), std::max(1, parser.value(countOption).toInt()));
        std::printf("Serving on %lld loopback addresses (ports %d...); fetching %lld URLs\n",
                    qint64(server->baseUrls().size()), server->baseUrls().first().port(),
                    qint64(urls.size()));
    }
    if (urls.isEmpty()) {
        std::fprintf(stderr, "fetchdemo: no URLs to fetch\n");
        return 2;
    }

    PoolOptions options;
    options.name = QStringLiteral("fetch");
    options.size = std::max(1, parser.value(sizeOption).toInt());
    options.timeout = std::chrono::milliseconds(std::max(1, parser.value(timeoutOption).toInt()));
    AsyncThreadedTaskPool pool(options);

    // The network manager must live on the pool thread: a context creates and deletes it there.
    auto nam = std::make_shared<QNetworkAccessManager *>(nullptr);
    pool.addContext([nam] { *nam = new QNetworkAccessManager; },
                    [nam] {
                        delete *nam;
                        *nam = nullptr;
                    });

    std::vector<qint64> latencies;
    latencies.reserve(std::size_t(urls.size()));
    qint64 bytes = 0;
    qint64 finished = 0;
    const qint64 total = urls.size();
    QElapsedTimer clock;

    PoolStatus *status = pool.status();
    auto printProgress = [&] {
        const int width = 30;
        const int done = int(width * finished / total);
        const double seconds = std::max(1e-3, double(clock.elapsed()) / 1000.0);
        std::printf(
            "\r[%s%s] %lld/%lld  ok %lld  failed %lld  timed out %lld  running %d  %.0f req/s ",
            QByteArray(done, '#').constData(), QByteArray(width - done, '.').constData(), finished,
            total, status->completed(), status->failed(), status->timedOut(), status->running(),
            double(finished) / seconds);
        std::fflush(stdout);
    };
    QTimer progress;
    progress.setInterval(100);
    QObject::connect(&progress, &QTimer::timeout, &app, printProgress);

    auto finishRun = [&] {
        progress.stop();
        printProgress();
        std::printf("\n");
        // stop() drains (nothing is left here) and deletes the network manager on its thread.
        pool.stop()
            .then(&app,
                  [&] {
                      const double seconds = double(clock.elapsed()) / 1000.0;
                      std::sort(latencies.begin(), latencies.end());
                      std::printf("\n  %-12s %10s\n", "outcome", "requests");
                      std::printf("  %-12s %10lld\n", "completed", status->completed());
                      std::printf("  %-12s %10lld\n", "failed", status->failed());
                      std::printf("  %-12s %10lld\n", "timed out", status->timedOut());
                      std::printf("  %-12s %10lld\n", "canceled", status->canceled());
                      std::printf("  %-12s %10lld\n\n", "total", status->submitted());
                      std::printf("  %-12s %10.2f s\n", "wall time", seconds);
                      std::printf("  %-12s %10.0f req/s\n", "throughput", double(total) / seconds);
                      std::printf("  %-12s %10.1f ms\n", "latency p50",
                                  double(percentile(latencies, 0.50)) / 1000.0);
                      std::printf("  %-12s %10.1f ms\n", "latency p99",
                                  double(percentile(latencies, 0.99)) / 1000.0);
                      std::printf("  %-12s %10.1f MiB\n", "received",
                                  double(bytes) / (1024.0 * 1024.0));
                      std::printf("  (pool \"%s\": size %d, timeout %lld ms; latency of completed "
                                  "requests)\n",
                                  qPrintable(options.name), options.size,
                                  qint64(options.timeout.count()));
                      app.quit();
                  })
            .onFailed(&app, [&app](const std::exception &e) {
                std::fprintf(stderr, "fetchdemo: stopping failed: %s\n", e.what());
                app.exit(1);
            });
    };

    pool.start()
        .then(&app,
              [&] {
                  clock.start();
                  progress.start();
                  for (const QUrl &url : std::as_const(urls)) {
                      pool.createTask([nam, url] { return fetch(*nam, url); })
                          .then(&app, [&](QFuture<Fetched> f) {
                              try {
                                  const Fetched result = f.result();
                                  latencies.push_back(result.latencyUs);
                                  bytes += result.bytes;
                              } catch (...) {
                                  // failures and timeouts are counted by the pool's status
                              }
                              if (++finished == total)
                                  finishRun();
                          });
                  }
              })
        .onFailed(&app, [&app](const std::exception &e) {
            std::fprintf(stderr, "fetchdemo: the pool did not start: %s\n", e.what());
            app.exit(1);
        });

    return app.exec();
}

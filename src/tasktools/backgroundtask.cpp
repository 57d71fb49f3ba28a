// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "backgroundtask.h"

#include <QtCore/qfuturewatcher.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qthread.h>

#include <optional>

namespace TaskTools {

Q_LOGGING_CATEGORY(lcBackground, "tasktools.background")

namespace {

enum class Outcome { Finished, Failed, Canceled };

QString messageOf(const std::exception_ptr &error)
{
    if (!error)
        return QStringLiteral("unknown exception");
    try {
        std::rethrow_exception(error);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    } catch (...) {
        return QStringLiteral("unknown exception");
    }
}

// QFutureInterface<void>::reportFinished() also runs the continuation the caller attached with
// then(); the base class's reportFinished() alone would leave that continuation waiting.
void conclude(const QFutureInterfaceBase &outer, Outcome outcome, const std::exception_ptr &error)
{
    QFutureInterface<void> future(outer);
    switch (outcome) {
    case Outcome::Finished:
        break;
    case Outcome::Failed:
        future.reportException(error);
        break;
    case Outcome::Canceled:
        future.cancel();
        break;
    }
    future.reportFinished();
}

} // namespace

class BackgroundTaskBasePrivate
{
public:
    using Handler = void (BackgroundTaskBasePrivate::*)(QFutureWatcher<void> *);

    struct Run
    {
        // User-provided: Clang 14 would otherwise take this nested struct with member
        // initializers for not default-constructible in std::optional::emplace().
        Run() { }
        quint64 id = 0;
        QFutureInterfaceBase outer;
        // Both watchers are children of the task: they die with it, so nothing the futures do
        // afterwards can reach a destroyed task. Unlike then(), a watcher also leaves the
        // futures' single continuation slot to their owners.
        QFutureWatcher<void> *outerWatcher = nullptr;
        std::optional<QFuture<void>> inner;
        QFutureWatcher<void> *innerWatcher = nullptr;
    };

    explicit BackgroundTaskBasePrivate(BackgroundTaskBase *task) : q(task) { }

    QFutureWatcher<void> *watch(const QFuture<void> &future, void (QFutureWatcherBase::*signal)(),
                                Handler handler);
    void retire(QFutureWatcher<void> *watcher);
    std::optional<QFutureInterfaceBase> take(bool cancelInner);
    void end(Outcome outcome, const std::exception_ptr &error, bool announce);
    void reportFailure(const QString &message);
    QString describe() const;

    void outerCanceled(QFutureWatcher<void> *watcher);
    void innerFinished(QFutureWatcher<void> *watcher);

    BackgroundTaskBase *const q;
    std::optional<Run> current;
    quint64 lastRunId = 0;
};

QFutureWatcher<void> *BackgroundTaskBasePrivate::watch(const QFuture<void> &future,
                                                       void (QFutureWatcherBase::*signal)(),
                                                       Handler handler)
{
    auto *watcher = new QFutureWatcher<void>(q);
    QObject::connect(watcher, signal, q, [this, watcher, handler] { (this->*handler)(watcher); });
    watcher->setFuture(future);
    return watcher;
}

// The watcher may be the one whose signal is being delivered right now, and it may still have
// call-out events queued: disconnect it so that they do nothing, and let the loop delete it.
void BackgroundTaskBasePrivate::retire(QFutureWatcher<void> *watcher)
{
    if (!watcher)
        return;
    watcher->disconnect();
    watcher->deleteLater();
}

// Detaches the current run from the task before anything is reported, so that whatever
// slots and continuations do next (restart, cancel, delete the task) meets a consistent state.
std::optional<QFutureInterfaceBase> BackgroundTaskBasePrivate::take(bool cancelInner)
{
    if (!current)
        return std::nullopt;
    Run run = std::move(*current);
    current.reset();
    q->runEnding();
    retire(run.outerWatcher);
    retire(run.innerWatcher);
    if (cancelInner && run.inner)
        run.inner->cancel();
    return std::move(run.outer);
}

void BackgroundTaskBasePrivate::end(Outcome outcome, const std::exception_ptr &error, bool announce)
{
    const std::optional<QFutureInterfaceBase> outer = take(outcome == Outcome::Canceled);
    if (!outer)
        return;
    // The caller canceled the run's future, but the news that the inner future finished was
    // queued ahead of the watcher's: the future already says canceled (it takes no result or
    // exception any more), so the run ends canceled and the signal says the same.
    if (outer->isCanceled())
        outcome = Outcome::Canceled;
    if (!announce) {
        conclude(*outer, outcome, error);
        return;
    }

    // From here on a slot may delete the task: touch only locals once it is gone, but still
    // finish the future, which must never be left pending.
    BackgroundTaskBase *const task = q;
    const QPointer<BackgroundTaskBase> alive(task);
    Q_EMIT task->runningChanged(false);
    conclude(*outer, outcome, error);
    if (!alive)
        return;
    switch (outcome) {
    case Outcome::Finished:
        Q_EMIT task->finished();
        break;
    case Outcome::Failed:
        reportFailure(messageOf(error));
        break;
    case Outcome::Canceled:
        Q_EMIT task->canceled();
        break;
    }
}

void BackgroundTaskBasePrivate::reportFailure(const QString &message)
{
    static const QMetaMethod failedSignal = QMetaMethod::fromSignal(&BackgroundTaskBase::failed);
    if (q->isSignalConnected(failedSignal)) {
        Q_EMIT q->failed(message);
    } else {
        qCWarning(lcBackground, "%s failed and no receiver is connected to failed(): %s",
                  qUtf8Printable(describe()), qUtf8Printable(message));
    }
}

QString BackgroundTaskBasePrivate::describe() const
{
    // BackgroundTask<T> is a template and has no meta-object of its own.
    const QMetaObject *meta = q->metaObject();
    QString name = meta == &BackgroundTaskBase::staticMetaObject
        ? QStringLiteral("TaskTools::BackgroundTask")
        : QString::fromLatin1(meta->className());
    if (!q->objectName().isEmpty())
        name += QLatin1String("(\"") + q->objectName() + QLatin1String("\")");
    return name;
}

void BackgroundTaskBasePrivate::outerCanceled(QFutureWatcher<void> *watcher)
{
    // The caller canceled the future start() handed out: treat it as cancel(), so that the
    // work stops too. Our own cancellations retire the watcher before its event arrives.
    if (current && current->outerWatcher == watcher)
        q->cancel();
}

void BackgroundTaskBasePrivate::innerFinished(QFutureWatcher<void> *watcher)
{
    if (!current || current->innerWatcher != watcher || !current->inner)
        return;
    current->innerWatcher = nullptr;
    retire(watcher);
    QFutureInterfaceBase inner = QFutureInterfaceBase::get(*current->inner);
    current->inner.reset();
    // On Qt 6.4 a future that failed also reports isCanceled(): look for the exception first.
    if (inner.hasException())
        q->failRun(inner.exceptionStore().exception());
    else
        q->innerFinished(inner);
}

BackgroundTaskBase::BackgroundTaskBase(QObject *parent)
    : QObject(parent), d(std::make_unique<BackgroundTaskBasePrivate>(this))
{ }

BackgroundTaskBase::~BackgroundTaskBase()
{
    abandonRun();
}

bool BackgroundTaskBase::isRunning() const
{
    return d->current.has_value();
}

void BackgroundTaskBase::cancel()
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "TaskTools::BackgroundTaskBase::cancel",
               "call cancel() from the thread the task lives in");
    d->end(Outcome::Canceled, {}, true);
}

quint64 BackgroundTaskBase::beginRun(const QFutureInterfaceBase &outer)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "TaskTools::BackgroundTask::start",
               "call start() from the thread the task lives in");
    std::optional<QFutureInterfaceBase> previous = d->take(true);

    auto &run = d->current.emplace();
    run.id = ++d->lastRunId;
    run.outer = outer;
    run.outerWatcher =
        d->watch(QFutureInterface<void>(outer).future(), &QFutureWatcherBase::canceled,
                 &BackgroundTaskBasePrivate::outerCanceled);
    const quint64 id = run.id;

    const QPointer<BackgroundTaskBase> alive(this);
    if (previous) {
        conclude(*previous, Outcome::Canceled, {});
        if (alive)
            Q_EMIT canceled();
    } else {
        Q_EMIT runningChanged(true);
    }
    // A slot may have canceled or restarted the new run, or deleted the task; either way the
    // new run's future has been finished already.
    if (!alive || !d->current || d->current->id != id)
        return 0;
    return id;
}

bool BackgroundTaskBase::followInner(quint64 run, const QFuture<void> &inner)
{
    if (!d->current || d->current->id != run) {
        QFuture<void>(inner).cancel();
        return false;
    }
    Q_ASSERT(!d->current->innerWatcher);
    d->current->inner = inner;
    d->current->innerWatcher =
        d->watch(inner, &QFutureWatcherBase::finished, &BackgroundTaskBasePrivate::innerFinished);
    return true;
}

void BackgroundTaskBase::finishRun()
{
    d->end(Outcome::Finished, {}, true);
}

void BackgroundTaskBase::failRun(std::exception_ptr error)
{
    d->end(Outcome::Failed, error, true);
}

void BackgroundTaskBase::abandonRun()
{
    d->end(Outcome::Canceled, {}, false);
}

QFutureInterfaceBase BackgroundTaskBase::outerInterface() const
{
    Q_ASSERT(d->current);
    return d->current->outer;
}

} // namespace TaskTools

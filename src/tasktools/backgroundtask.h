// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_BACKGROUNDTASK_H
#define TASKTOOLS_BACKGROUNDTASK_H

#include <tasktools/tasktools_global.h>

#include <QtCore/qfuture.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>

#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <type_traits>

namespace TaskTools {

class BackgroundTaskBasePrivate;

// The signals, the `running` property and the run bookkeeping shared by BackgroundTask<T> and
// PeriodicTask; it cannot be created on its own.
//
// A *run* lasts from start() until it ends in exactly one of three ways, each announced by one
// signal: finished() (a result), failed(message) (an exception) or canceled() (cancel(), a later
// start(), or the caller canceling the future start() returned). The future start() returned
// reports the same outcome; it always finishes. When a run ends, `running` turns false and
// runningChanged(false) is emitted first, then the run's future finishes (running the caller's
// continuations), then the outcome signal: slots see isRunning() == false and a finished future,
// and may call start() again, or even delete the task (though deleteLater() is the usual way). A
// restart (start() during a run) cancels the old run, emits canceled() for it, and keeps `running`
// true without emitting runningChanged. A slot of runningChanged(false) that calls start() begins
// the next run before the ended run's outcome signal: receivers of that signal then see the new
// run's isRunning() == true.
//
// Everything happens in the event loop of the thread the object lives in: no thread of its own,
// nothing blocks. Call start() and cancel() from that thread only. The function runs there too
// and may call cancel() itself: that ends its run at once (runningChanged(false) and canceled()
// are emitted from within that cancel(), and their slots may restart or even delete the task),
// and what the function then returns is canceled. Destroying the object cancels
// the current run (the caller's future ends canceled, the function's own future is canceled) and
// emits no signal; whatever the function's future does afterwards does not reach the destroyed
// object. A failure that nobody handles (no receiver connected to failed()) is logged as a
// warning under the logging category "tasktools.background".
class TASKTOOLS_EXPORT BackgroundTaskBase : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool running READ isRunning NOTIFY runningChanged)

public:
    ~BackgroundTaskBase() override;

    bool isRunning() const;

public Q_SLOTS:
    // Ends the current run as canceled; a no-op when nothing runs.
    void cancel();

Q_SIGNALS:
    void runningChanged(bool running);
    // The run ended with a result.
    void finished();
    // The run ended with an exception; `message` is its what(), or "unknown exception".
    void failed(const QString &message);
    // The run was canceled.
    void canceled();

protected:
    explicit BackgroundTaskBase(QObject *parent = nullptr);

    // The protocol for subclasses. A run is identified by a number (never 0) so that work
    // belonging to a run that has already ended can be recognised and dropped.

    // Makes `outer` (a started, unfinished future interface) the current run's future and
    // returns the run's number. A current run is canceled first (restart). Returns 0 if the
    // new run ended already (a slot connected to canceled() restarted or canceled it), in
    // which case `outer` has been finished too.
    quint64 beginRun(const QFutureInterfaceBase &outer);
    // Follows `inner`, a future the function returned during run `run`: once it finishes,
    // on this object's thread, an exception ends the run as failed and anything else is
    // handed to innerFinished(). If `run` is no longer current (the function canceled or
    // restarted the task while it ran), `inner` is canceled instead and false is returned.
    bool followInner(quint64 run, const QFuture<void> &inner);
    // The followed inner future finished without an exception (possibly canceled).
    virtual void innerFinished(const QFutureInterfaceBase &inner) = 0;
    // Called whenever the current run ends, before anything is reported; subclasses drop
    // their per-run state here (it is also called from abandonRun() during destruction).
    virtual void runEnding() { }

    // Ends the current run with the results already reported to outerInterface().
    void finishRun();
    // Ends the current run with `error`.
    void failRun(std::exception_ptr error);
    // Ends the current run as canceled and emits nothing: for destructors.
    void abandonRun();

    // The current run's future interface; only valid while a run is current.
    QFutureInterfaceBase outerInterface() const;

private:
    friend class BackgroundTaskBasePrivate;
    std::unique_ptr<BackgroundTaskBasePrivate> d;
};

namespace Detail {
template<typename>
inline constexpr bool alwaysFalse = false;
}

// Runs an asynchronous function in the event loop of the thread the object lives in, until the
// function's future finishes or the run is canceled: an object that owns the lifetime of some
// asynchronous work, so that deleting the object (for instance with its parent) stops the work.
//
// The function is called by each start(), on this object's thread, and returns the QFuture<T>
// of the work (typically from a QPromise<T> driven by timers or I/O of this thread, or any other
// future). Canceling a run cancels that future, so a QPromise producer sees isCanceled(); a
// producer that must react at once can watch its own future (QFutureWatcher::canceled). If the
// function throws, the run fails with that exception, just as if its future had.
//
// The function's future may finish on any thread; the task learns of it through its own event
// loop, so a run's outcome is always reported asynchronously, never from within start().
// Signals, threads and destruction: see BackgroundTaskBase.
template<typename T = void>
class BackgroundTask : public BackgroundTaskBase
{
public:
    using Function = std::function<QFuture<T>()>;

    // Throws std::invalid_argument if `function` is empty.
    explicit BackgroundTask(Function function, QObject *parent = nullptr)
        : BackgroundTaskBase(parent)
    {
        if (!function)
            throw std::invalid_argument("TaskTools::BackgroundTask: the function is empty");
        m_function = std::make_shared<const Function>(std::move(function));
    }

    // Catches functions that cannot become a Function, to explain why.
    template<typename F, std::enable_if_t<!std::is_convertible_v<F &&, Function>, int> = 0>
    explicit BackgroundTask(F &&, QObject * = nullptr)
    {
        static_assert(Detail::alwaysFalse<F>,
                      "TaskTools::BackgroundTask<T>: the function must take no arguments and "
                      "return QFuture<T> (wrap a plain value with a QPromise<T>, or use "
                      "QtConcurrent::run or a thread pool for synchronous work)");
    }

    // Cancels the current run (see BackgroundTaskBase).
    ~BackgroundTask() override { abandonRun(); }

    // Cancels the current run, if any, calls the function and returns the new run's future.
    [[nodiscard]] QFuture<T> start()
    {
        QFutureInterface<T> outer;
        outer.reportStarted();
        const quint64 run = beginRun(outer);
        if (run != 0) {
            // The function may cancel the run, and a slot of cancel()'s signals delete the task.
            const QPointer<BackgroundTaskBase> alive(this);
            QFuture<T> inner = invoke(m_function);
            if (!alive)
                inner.cancel(); // the destructor abandoned the run
            else if (followInner(run, QFuture<void>(inner)))
                m_inner = inner;
        }
        return outer.future();
    }

private:
    // `function` is a reference of its own: the function outlives the task if that is deleted
    // while it runs.
    static QFuture<T> invoke(std::shared_ptr<const Function> function)
    {
        try {
            return (*function)();
        } catch (...) {
            QFutureInterface<T> failure;
            failure.reportStarted();
            failure.reportException(std::current_exception());
            failure.reportFinished();
            return failure.future();
        }
    }

    void innerFinished(const QFutureInterfaceBase &inner) override
    {
        if (inner.isCanceled()) {
            cancel();
            return;
        }
        // `to` holds a typed reference until finishRun() has run the caller's continuations:
        // results die with the last typed reference, and the caller may hold none (a
        // continuation attached to a temporary future).
        QFutureInterface<T> to(outerInterface());
        if constexpr (!std::is_void_v<T>) {
            QFutureInterface<T> from(inner);
            if constexpr (std::is_copy_constructible_v<T>)
                to.reportResults(from.results());
            else if (from.resultCount() > 0)
                to.reportAndMoveResult(from.takeResult());
        }
        finishRun();
    }

    // The typed copy keeps the results alive: the base only holds an untyped one.
    void runEnding() override { m_inner = QFuture<T>(); }

    std::shared_ptr<const Function> m_function;
    QFuture<T> m_inner;
};

} // namespace TaskTools

#endif // TASKTOOLS_BACKGROUNDTASK_H

// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_TESTS_MESSAGECOUNTER_H
#define TASKTOOLS_TESTS_MESSAGECOUNTER_H

#include <QtCore/QByteArray>
#include <QtCore/QtGlobal>

#include <atomic>

// Counts the messages logged in one category while it exists (from any thread), and passes every
// message on to the handler it replaced, so QTest::ignoreMessage() and failOnWarning() still
// apply. One at a time: a message handler is a plain function.
class MessageCounter
{
public:
    explicit MessageCounter(const char *category)
    {
        Q_ASSERT(!s_active);
        s_active = true;
        s_category = category;
        s_count = 0;
        s_previous = qInstallMessageHandler(&MessageCounter::handle);
    }
    MessageCounter(const MessageCounter &) = delete;
    MessageCounter &operator=(const MessageCounter &) = delete;
    ~MessageCounter()
    {
        qInstallMessageHandler(s_previous);
        s_previous = nullptr;
        s_active = false;
    }

    int count() const { return s_count.load(); }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        if (context.category && qstrcmp(context.category, s_category) == 0)
            ++s_count;
        if (s_previous)
            s_previous(type, context, message);
    }

    static inline bool s_active = false;
    static inline const char *s_category = nullptr;
    static inline std::atomic<int> s_count = 0;
    static inline QtMessageHandler s_previous = nullptr;
};

#endif // TASKTOOLS_TESTS_MESSAGECOUNTER_H

// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef DEMOSERVER_H
#define DEMOSERVER_H

#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QThread>
#include <QtCore/QUrl>

#include <memory>

class QTcpServer;

// A tiny HTTP/1.1 server for the demo, on its own thread, listening on several loopback
// addresses (127.0.0.1 ... 127.0.0.N) so that a client's per-host connection limit is no
// bottleneck. Routes:
//   /ok/<bytes>       200 with a body of that size
//   /slow/<ms>        200 after that delay
//   /fail             500
//   /drop             closes the connection without answering
class DemoServer : public QObject
{
    Q_OBJECT
public:
    explicit DemoServer(int hosts = 8);
    ~DemoServer() override;

    // Base URLs, one per listening address ("http://127.0.0.3:40123").
    QList<QUrl> baseUrls() const { return m_baseUrls; }

private:
    QThread m_thread;
    QList<QUrl> m_baseUrls;
};

#endif // DEMOSERVER_H

// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "demoserver.h"

#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <stdexcept>

namespace {

QByteArray response(int status, const QByteArray &reason, const QByteArray &body)
{
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason
        + "\r\nContent-Type: text/plain\r\nContent-Length: " + QByteArray::number(body.size())
        + "\r\nConnection: keep-alive\r\n\r\n" + body;
}

// Serves one connection: requests are answered in order (HTTP/1.1 without pipelining
// surprises: the client sends the next request only after the previous answer).
void serve(QTcpSocket *socket)
{
    auto buffer = std::make_shared<QByteArray>();
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket, buffer] {
        buffer->append(socket->readAll());
        for (;;) {
            const qsizetype end = buffer->indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QByteArray head = buffer->left(end);
            buffer->remove(0, end + 4); // the demo's requests are GETs without a body
            const QList<QByteArray> requestLine = head.left(head.indexOf("\r\n")).split(' ');
            const QByteArray path = requestLine.value(1);
            const QList<QByteArray> parts = path.split('/'); // "", route, argument
            const QByteArray route = parts.value(1);
            const int argument = parts.value(2).toInt();
            if (route == "ok") {
                socket->write(response(200, "OK", QByteArray(qBound(0, argument, 1 << 20), 'x')));
            } else if (route == "slow") {
                QTimer::singleShot(argument, socket,
                                   [socket] { socket->write(response(200, "OK", "slow")); });
            } else if (route == "fail") {
                socket->write(response(500, "Internal Server Error", "failure"));
            } else if (route == "drop") {
                socket->abort();
                return;
            } else {
                socket->write(response(404, "Not Found", "no such route"));
            }
        }
    });
}

} // namespace

DemoServer::DemoServer(int hosts)
{
    m_thread.setObjectName(QStringLiteral("demo-http-server"));
    m_thread.start();
    // The servers are created on the server thread and live there until it ends.
    QList<QUrl> urls;
    auto *anchor = new QObject;
    anchor->moveToThread(&m_thread);
    QMetaObject::invokeMethod(
        anchor,
        [anchor, hosts, &urls] {
            for (int i = 1; i <= hosts; ++i) {
                auto *server = new QTcpServer(anchor);
                const QHostAddress address(QStringLiteral("127.0.0.%1").arg(i));
                if (!server->listen(address, 0)) {
                    delete server;
                    continue; // some systems route only 127.0.0.1
                }
                QObject::connect(server, &QTcpServer::newConnection, server, [server] {
                    while (QTcpSocket *socket = server->nextPendingConnection())
                        serve(socket);
                });
                QUrl url;
                url.setScheme(QStringLiteral("http"));
                url.setHost(address.toString());
                url.setPort(server->serverPort());
                urls.append(url);
            }
        },
        Qt::BlockingQueuedConnection);
    QObject::connect(&m_thread, &QThread::finished, anchor, &QObject::deleteLater);
    m_baseUrls = urls;
    if (m_baseUrls.isEmpty())
        throw std::runtime_error("the demo server could not listen on 127.0.0.1");
}

DemoServer::~DemoServer()
{
    m_thread.quit();
    m_thread.wait();
}

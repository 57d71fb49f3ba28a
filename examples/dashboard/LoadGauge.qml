// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick

// A 270° arc showing running / size (PoolStatus.load), with the running count in the middle.
Item {
    id: gauge

    property real load: 0      // 0..1
    property int running: 0
    property int size: 0       // 0 = unlimited
    readonly property color arcColor: Theme.loadColor(load)

    implicitWidth: 136
    implicitHeight: 136

    property real shown: load
    Behavior on shown { NumberAnimation { duration: 300; easing.type: Easing.OutCubic } }
    onShownChanged: canvas.requestPaint()
    onArcColorChanged: canvas.requestPaint()

    Canvas {
        id: canvas
        anchors.fill: parent
        antialiasing: true
        onPaint: {
            const ctx = getContext("2d")
            ctx.reset()
            const line = 11
            const r = Math.min(width, height) / 2 - line
            const cx = width / 2, cy = height / 2
            const start = Math.PI * 0.75, sweep = Math.PI * 1.5
            ctx.lineCap = "round"
            ctx.lineWidth = line
            ctx.strokeStyle = Theme.track
            ctx.beginPath()
            ctx.arc(cx, cy, r, start, start + sweep)
            ctx.stroke()
            if (gauge.shown > 0.001) {
                ctx.strokeStyle = gauge.arcColor
                ctx.beginPath()
                ctx.arc(cx, cy, r, start, start + sweep * Math.min(1, gauge.shown))
                ctx.stroke()
            }
        }
    }

    Column {
        anchors.centerIn: parent
        spacing: 0
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: gauge.running
            color: Theme.text
            font.pixelSize: 34
            font.weight: Font.Bold
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: gauge.size > 0 ? qsTr("of %1 running").arg(gauge.size) : qsTr("running")
            color: Theme.muted
            font.pixelSize: 11
        }
    }
    Text {
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 2
        text: gauge.size > 0 ? Math.round(gauge.load * 100) + " %" : qsTr("unlimited")
        color: gauge.arcColor
        font.pixelSize: 12
        font.weight: Font.DemiBold
    }
}

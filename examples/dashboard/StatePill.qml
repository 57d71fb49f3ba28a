// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick
import Dashboard

// A pool's lifecycle state as a coloured pill.
Rectangle {
    id: pill

    property int state: PoolWorkload.Stopped
    readonly property color tint: state === PoolWorkload.Running ? Theme.completed
                                : state === PoolWorkload.Stopped ? Theme.muted : Theme.timedOut

    implicitWidth: label.implicitWidth + 30
    implicitHeight: 24
    radius: 12
    color: Qt.rgba(tint.r, tint.g, tint.b, 0.14)
    border.color: Qt.rgba(tint.r, tint.g, tint.b, 0.45)

    Rectangle {
        x: 10
        anchors.verticalCenter: parent.verticalCenter
        width: 7
        height: 7
        radius: 3.5
        color: pill.tint
    }
    Text {
        id: label
        x: 22
        anchors.verticalCenter: parent.verticalCenter
        text: ["stopped", "starting", "running", "draining"][pill.state]
        color: pill.tint
        font.pixelSize: 11
        font.weight: Font.DemiBold
        font.capitalization: Font.AllUppercase
        font.letterSpacing: 0.6
    }
}

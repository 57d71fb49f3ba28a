// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick

// One counter: a coloured dot, a caption and the value.
Rectangle {
    id: tile

    property string caption
    property double value: 0
    property color dot: Theme.muted

    implicitHeight: 58
    radius: 9
    color: Theme.surfaceRaised

    Row {
        x: 12
        y: 10
        spacing: 7
        Rectangle {
            anchors.verticalCenter: parent.verticalCenter
            width: 8
            height: 8
            radius: 4
            color: tile.dot
        }
        Text {
            text: tile.caption
            color: Theme.muted
            font.pixelSize: 11
            font.capitalization: Font.AllUppercase
            font.letterSpacing: 0.6
        }
    }
    Text {
        x: 12
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 7
        text: Theme.grouped(tile.value)
        color: Theme.text
        font.pixelSize: 19
        font.weight: Font.DemiBold
    }
}

// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
import QtQuick

// A flat button: filled when `primary`, outlined otherwise.
Rectangle {
    id: button

    property alias text: label.text
    property bool primary: false
    property color accent: Theme.accent
    signal clicked()

    implicitWidth: Math.max(label.implicitWidth + 28, 36)
    implicitHeight: 34
    radius: 7
    opacity: enabled ? 1 : 0.4
    color: primary ? (area.pressed ? Qt.darker(accent, 1.25) : area.containsMouse
                                     ? Qt.lighter(accent, 1.08) : accent)
                   : (area.pressed ? Theme.surfaceHover : area.containsMouse
                                     ? Theme.surfaceRaised : "transparent")
    border.width: primary ? 0 : 1
    border.color: Theme.border

    Text {
        id: label
        anchors.centerIn: parent
        color: button.primary ? "#0b0f17" : Theme.text
        font.pixelSize: 13
        font.weight: Font.DemiBold
    }

    MouseArea {
        id: area
        anchors.fill: parent
        hoverEnabled: true
        cursorShape: Qt.PointingHandCursor
        onClicked: button.clicked()
    }
}

/** Application menu with the usual accelerators. */
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

export function installMenu(getWindow: () => BrowserWindow | null): void {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'Engine info', click: () => getWindow()?.webContents.send('workbench:event', { type: 'menu', action: 'engineInfo' }) }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

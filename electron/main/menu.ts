/**
 * Application menu with the usual accelerators. App actions are sent to the renderer as
 * shell events ({ type: 'menu', action }) so the same code runs them as in browser mode.
 */
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

const VIEWS = [
  ['runs', 'Runs'],
  ['compare', 'Compare'],
  ['pagetable', 'Page table'],
  ['events', 'Events'],
  ['faults', 'Faults'],
  ['sweep', 'Sweep'],
  ['costs', 'Costs'],
  ['sensitivity', 'Sensitivity'],
] as const;

export function installMenu(getWindow: () => BrowserWindow | null): void {
  const send = (action: string) => () => getWindow()?.webContents.send('workbench:event', { type: 'menu', action });
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Database…', accelerator: 'CmdOrCtrl+O', click: send('open') },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: send('export') },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...VIEWS.map(([id, label], i): MenuItemConstructorOptions => ({ label, accelerator: `Alt+${i + 1}`, click: send(`view:${id}`) })),
        { type: 'separator' },
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
      submenu: [{ label: 'Engine info', click: send('engineInfo') }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

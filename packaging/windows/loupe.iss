; Inno Setup 6 script for Loupe.
; Built by packaging\windows\build.ps1, which reads the version from core\__init__.py and runs
;     ISCC.exe /DMyAppVersion=<version> packaging\windows\loupe.iss
; after PyInstaller has filled packaging\dist\Loupe\. Paths below are relative to this file.

#ifndef MyAppVersion
  #error MyAppVersion is not defined: build with build.ps1, or pass /DMyAppVersion=x.y.z to ISCC
#endif

; build.ps1 passes /DMyOutputSuffix=-cpu for the cpu variant, so the installers do not overwrite each other.
#ifndef MyOutputSuffix
  #define MyOutputSuffix ""
#endif

#define MyAppName "Loupe"
#define MyAppExeName "Loupe.exe"
; The PyInstaller one-folder output (Loupe.exe, loupe-cli.exe for the console, _internal\).
#define DistDir "..\dist\Loupe"

[Setup]
; AppId identifies the installation for upgrades and uninstall: never change it between versions.
AppId={{6F1C2B1E-5A43-4D2E-9B8E-3C7A0F4D2B61}
AppName={#MyAppName}
AppVersion={#MyAppVersion}
AppVerName={#MyAppName} {#MyAppVersion}
AppPublisher=Loupe contributors
VersionInfoVersion={#MyAppVersion}
; Per-user install by default (no administrator rights); the user may choose all users instead.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#MyAppName}
DefaultGroupName={#MyAppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename=Loupe-{#MyAppVersion}-windows-x64{#MyOutputSuffix}-setup
SetupIconFile=..\..\resources\icons\loupe.ico
UninstallDisplayIcon={app}\{#MyAppExeName}
UninstallDisplayName={#MyAppName} {#MyAppVersion}
WizardStyle=modern
; The bundle holds ~3-4 GB of torch/CUDA DLLs. lzma2 without solid compression keeps the build to
; minutes and memory bounded; the compressed size stays below Inno's 4.2 GB single-file limit, so
; no DiskSpanning.
Compression=lzma2/normal
SolidCompression=no
LZMANumBlockThreads=4
; Upgrading over a running copy would leave a half-replaced torch.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Files of an older version (e.g. DLLs a newer torch no longer ships) must not linger beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"
Name: "{group}\{cm:UninstallProgram,{#MyAppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#MyAppExeName}"; Description: "{cm:LaunchProgram,{#MyAppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The uninstaller removes only what it installed; this also takes anything written there later.
Type: filesandordirs; Name: "{app}\_internal"

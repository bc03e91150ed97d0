@{
    RootModule           = 'ThingConnectPulse.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = 'c8967b52-c752-42e9-8fcf-2343dde61586'
    Author               = 'Pulse contributors'
    CompanyName          = 'Pulse contributors'
    Copyright            = 'Apache-2.0'
    Description          = 'ThingConnect Pulse from PowerShell: live endpoint status, history, CSV export and endpoint changes through its REST API.'
    PowerShellVersion    = '7.0'
    CompatiblePSEditions = @('Core')
    FunctionsToExport    = @(
        'Connect-ThingConnectPulse'
        'Get-PulseEndpointStatus'
        'Get-PulseEndpointHistory'
        'New-PulseEndpoint'
        'Remove-PulseEndpoint'
        'Export-PulseHistory'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Pulse', 'ThingConnect', 'monitoring', 'network', 'availability')
            LicenseUri = 'https://www.apache.org/licenses/LICENSE-2.0'
        }
    }
}

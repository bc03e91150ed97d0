#Requires -Version 7.0
<#
ThingConnectPulse: ThingConnect Pulse's REST API (docs/api.md) from PowerShell 7.

Every request goes through Invoke-PulseApi, its route written exactly as Pulse's OpenAPI
document writes it ('/api/endpoints/{endpoint_id}') and its query as a hashtable literal, so
the module's routes can be checked against /openapi.json by reading this file alone.
#>

Set-StrictMode -Version Latest

# The connection Connect-ThingConnectPulse made, used by every other command.
$script:PulseConnection = $null

# New-PulseEndpoint's parameters, and the keys of the POST /api/endpoints body they fill.
$script:EndpointFields = [ordered]@{
    Name            = 'name'
    Address         = 'address'
    Type            = 'type'
    Port            = 'port'
    Group           = 'group'
    IntervalSeconds = 'intervalSeconds'
    HttpPath        = 'httpPath'
    Notes           = 'notes'
}

# By HTTP status of a failed request (0: no answer): the error's category, and what to do.
$script:ErrorCategories = @{
    0   = 'ConnectionError'
    400 = 'InvalidArgument'
    401 = 'AuthenticationError'
    403 = 'PermissionDenied'
    404 = 'ObjectNotFound'
    409 = 'ResourceExists'
    429 = 'LimitsExceeded'
}
$script:ErrorHints = @{
    0   = 'check the -Server address, that Pulse runs, and for https that its certificate is trusted (in the system store, or by -CaFile)'
    401 = 'check the -Credential or -ApiKey given to Connect-ThingConnectPulse'
    403 = 'connect as a user, or with an API key, of the role the message names'
    404 = 'check the id: Get-PulseEndpointStatus -All lists every endpoint with its Id'
    429 = 'wait, then try again: Pulse limits requests per minute and locks a username after wrong passwords'
}

function Connect-ThingConnectPulse {
    <#
    .SYNOPSIS
    Connects to a ThingConnect Pulse server for the other commands of this module.

    .DESCRIPTION
    Signs in with a Pulse user's credential (HTTP Basic) or with an API key (sent as
    "Authorization: Bearer"), checks it by asking Pulse who is calling, and keeps the
    connection for the rest of the session. Outputs the connection: the server, and the
    name, kind (user or apikey) and role (viewer, editor, admin) Pulse knows the caller by.

    .PARAMETER Server
    Pulse's address, such as http://localhost:8080 or https://pulse.plant.example.

    .PARAMETER Credential
    A Pulse user's name and password, as Get-Credential makes them.

    .PARAMETER ApiKey
    An API key made in Pulse (pulse apikey create, or POST /api/apikeys).

    .PARAMETER CaFile
    A PEM file with the certificate of the CA that signed Pulse's certificate (one or more
    certificates). Every request of the connection then trusts certificates that chain to
    those and no others, the system's store aside; the certificate must still name the host
    of -Server. For an https server only; needs PowerShell 7.1 or newer.

    .PARAMETER SkipCertificateCheck
    Accepts any TLS certificate. Anyone on the network path can then pose as Pulse and read
    the credentials: use it only to try out a test server, and warns so.

    .PARAMETER TimeoutSec
    How long one request may take, in seconds (default 30).

    .EXAMPLE
    Connect-ThingConnectPulse -Server "http://localhost:8080" -Credential (Get-Credential)

    .EXAMPLE
    Connect-ThingConnectPulse -Server https://pulse.plant.example -ApiKey $env:PULSE_API_KEY

    .EXAMPLE
    Connect-ThingConnectPulse -Server https://pulse.plant.example -ApiKey $env:PULSE_API_KEY -CaFile .\plant-ca.pem
    #>
    [CmdletBinding(DefaultParameterSetName = 'Credential')]
    [OutputType('ThingConnectPulse.Connection')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidatePattern('^https?://', ErrorMessage = 'Server must start with http:// or https://, such as http://localhost:8080')]
        [string] $Server,

        [Parameter(Mandatory, ParameterSetName = 'Credential')]
        [pscredential] $Credential,

        [Parameter(Mandatory, ParameterSetName = 'ApiKey')]
        [string] $ApiKey,

        [ValidateNotNullOrEmpty()]
        [string] $CaFile,

        [switch] $SkipCertificateCheck,

        [ValidateRange(1, 3600)]
        [int] $TimeoutSec = 30
    )
    if ($PSCmdlet.ParameterSetName -eq 'Credential') {
        $pair = '{0}:{1}' -f $Credential.UserName, $Credential.GetNetworkCredential().Password
        $authorization = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($pair))
    }
    else {
        $authorization = 'Bearer ' + $ApiKey
    }
    $caClient = $null
    if ($PSBoundParameters.ContainsKey('CaFile')) {
        try {
            $caClient = New-PulseCaClient -Server $Server -Path $PSCmdlet.GetUnresolvedProviderPathFromPSPath($CaFile) -TimeoutSec $TimeoutSec -SkipCertificateCheck:$SkipCertificateCheck
        }
        catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
    }
    if ($SkipCertificateCheck) {
        Write-Warning 'TLS certificate verification is off (-SkipCertificateCheck): anyone on the network path can pose as Pulse and read the credentials.'
    }
    if ($null -ne $script:PulseConnection -and $null -ne $script:PulseConnection.CaClient) {
        $script:PulseConnection.CaClient.HttpClient.Dispose()
    }
    $script:PulseConnection = [pscustomobject]@{
        Server               = $Server.TrimEnd('/')
        Headers              = @{ Authorization = $authorization }
        SkipCertificateCheck = $SkipCertificateCheck.IsPresent
        TimeoutSec           = $TimeoutSec
        # $null: Invoke-RestMethod with the system's trust; else the HttpClient trusting -CaFile
        CaClient             = $caClient
    }
    try {
        $session = Invoke-PulseApi -Method GET -Route '/api/auth/session'
    }
    catch {
        if ($null -ne $caClient) {
            $caClient.HttpClient.Dispose()
        }
        $script:PulseConnection = $null
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $trusted = $null
    if ($null -ne $caClient) {
        $trusted = $caClient.Path
    }
    [pscustomobject]@{
        PSTypeName = 'ThingConnectPulse.Connection'
        Server     = $script:PulseConnection.Server
        Name       = $session.name
        Kind       = $session.kind
        Role       = $session.role
        CaFile     = $trusted
    }
}

function Get-PulseEndpointStatus {
    <#
    .SYNOPSIS
    Gets the live status of every endpoint, of one group, or of endpoints by id.

    .DESCRIPTION
    Reads Pulse's live status (GET /api/status/live): for each endpoint its Id, Name, Group,
    Type, Address, Status (up, down or flapping), RttMs of the latest check, LastChange (when
    the status last changed) and Enabled. Endpoints come sorted by group, then name.

    .PARAMETER All
    Every endpoint (the default).

    .PARAMETER EndpointId
    The ids of the endpoints to get; takes pipeline input, by value or by the Id property.

    .PARAMETER Group
    A group id; endpoints of its child groups are included.

    .EXAMPLE
    Get-PulseEndpointStatus -All | Where-Object Status -ne 'up'

    .EXAMPLE
    Get-PulseEndpointStatus -Group line-1 | Format-Table Name, Status, RttMs
    #>
    [CmdletBinding(DefaultParameterSetName = 'All')]
    [OutputType('ThingConnectPulse.EndpointStatus')]
    param(
        [Parameter(ParameterSetName = 'All')]
        [switch] $All,

        [Parameter(Mandatory, Position = 0, ParameterSetName = 'EndpointId', ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('Id')]
        [string[]] $EndpointId,

        [Parameter(Mandatory, ParameterSetName = 'Group')]
        [string] $Group
    )
    begin {
        # endpoint id -> live status item, read once for all the ids piped in
        $byId = $null
    }
    process {
        if ($PSCmdlet.ParameterSetName -ne 'EndpointId') {
            $groupId = $null
            if ($PSCmdlet.ParameterSetName -eq 'Group') {
                $groupId = $Group
            }
            (Invoke-PulseApi -Method GET -Route '/api/status/live' -Query @{ group = $groupId }).items | ConvertTo-PulseEndpointStatus
            return
        }
        if ($null -eq $byId) {
            $byId = @{}
            foreach ($item in (Invoke-PulseApi -Method GET -Route '/api/status/live').items) {
                $byId[$item.endpoint.id] = $item
            }
        }
        foreach ($id in $EndpointId) {
            if ($byId.ContainsKey($id)) {
                $byId[$id] | ConvertTo-PulseEndpointStatus
            }
            else {
                Write-Error -Message "endpoint '$id' not found: Get-PulseEndpointStatus -All lists every endpoint with its Id" -Category ObjectNotFound -TargetObject $id
            }
        }
    }
}

function Get-PulseEndpointHistory {
    <#
    .SYNOPSIS
    Gets an endpoint's checks, or its 15-minute or daily rollups, over a time range.

    .DESCRIPTION
    Reads GET /api/history/endpoint/{id}. With -Bucket raw it outputs one object per check
    (Timestamp, Status, RttMs, Error); with 15m or daily one per bucket (Timestamp, UpPct,
    AvgRttMs, DownEvents). Without -Bucket, the finest Pulse serves for the range: raw checks
    up to 2 days, 15-minute buckets up to 93 days, else daily.

    .PARAMETER EndpointId
    The endpoint's id; takes pipeline input, by value or by the Id property.

    .PARAMETER Hours
    The range: the last this many hours (default 24).

    .PARAMETER Start
    The range's start; a time without an offset is local time.

    .PARAMETER End
    The range's end, excluded (default: now).

    .PARAMETER Bucket
    raw, 15m or daily.

    .EXAMPLE
    Get-PulseEndpointHistory -EndpointId c8a48605b98ed819 -Hours 24

    .EXAMPLE
    Get-PulseEndpointStatus -Group line-1 | Get-PulseEndpointHistory -Start (Get-Date).AddDays(-30) -Bucket daily
    #>
    [CmdletBinding(DefaultParameterSetName = 'Hours')]
    [OutputType('ThingConnectPulse.Check', 'ThingConnectPulse.Rollup')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('Id')]
        [string] $EndpointId,

        [Parameter(ParameterSetName = 'Hours')]
        [ValidateRange(1, 87840)]
        [int] $Hours = 24,

        [Parameter(Mandatory, ParameterSetName = 'Range')]
        [datetime] $Start,

        [Parameter(ParameterSetName = 'Range')]
        [datetime] $End = [datetime]::UtcNow,

        [ValidateSet('raw', '15m', 'daily')]
        [string] $Bucket
    )
    process {
        $range = if ($PSCmdlet.ParameterSetName -eq 'Hours') { Resolve-PulseRange -Hours $Hours } else { Resolve-PulseRange -Start $Start -End $End }
        $chosen = $Bucket
        if (-not $chosen) {
            $chosen = Get-PulseFinestBucket -Range $range
        }
        $history = Invoke-PulseApi -Method GET -Route '/api/history/endpoint/{endpoint_id}' -RouteValues @{ endpoint_id = $EndpointId } -Query @{ from = $range.From; to = $range.To; bucket = $chosen }
        switch ($chosen) {
            'raw' {
                foreach ($check in $history.raw) {
                    [pscustomobject]@{
                        PSTypeName = 'ThingConnectPulse.Check'
                        EndpointId = $EndpointId
                        Timestamp  = $check.ts
                        Status     = $check.status
                        RttMs      = $check.rttMs
                        Error      = $check.error
                    }
                }
            }
            '15m' {
                $history.rollup15m | ConvertTo-PulseRollup -EndpointId $EndpointId -Bucket '15m' -TimeKey 'bucketTs'
            }
            'daily' {
                $history.rollupDaily | ConvertTo-PulseRollup -EndpointId $EndpointId -Bucket 'daily' -TimeKey 'bucketDate'
            }
        }
    }
}

function New-PulseEndpoint {
    <#
    .SYNOPSIS
    Adds an endpoint for Pulse to check.

    .DESCRIPTION
    Adds a target to Pulse's configuration (POST /api/endpoints, editor role), which becomes
    a new configuration version; Pulse starts checking it at once. Outputs the endpoint with
    its Id and the ConfigVersionId now running. Takes pipeline input by property name, so a
    CSV of devices can be added with Import-Csv devices.csv | New-PulseEndpoint.

    .PARAMETER Name
    The name shown in the dashboard; Pulse derives one from the type and address if left out.

    .PARAMETER Address
    The host name or IP address to check.

    .PARAMETER Type
    The probe type: icmp, tcp, http, or one a plugin adds.

    .PARAMETER Port
    The port, which tcp needs.

    .PARAMETER Group
    A group id; the first group of the configuration if left out.

    .PARAMETER IntervalSeconds
    Seconds between the starts of two checks; the configuration's default if left out.

    .PARAMETER HttpPath
    For http: the path to request.

    .PARAMETER Notes
    Free text kept with the endpoint.

    .PARAMETER Disabled
    Adds the endpoint without checking it.

    .EXAMPLE
    New-PulseEndpoint -Name "New Server" -Address "10.0.0.20" -Type "tcp" -Port 80

    .EXAMPLE
    Import-Csv devices.csv | New-PulseEndpoint -Group line-1 -WhatIf
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('ThingConnectPulse.Endpoint')]
    param(
        [Parameter(ValueFromPipelineByPropertyName)]
        [string] $Name,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [Alias('Host')]
        [string] $Address,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [string] $Type,

        [Parameter(ValueFromPipelineByPropertyName)]
        [ValidateRange(1, 65535)]
        [int] $Port,

        [Parameter(ValueFromPipelineByPropertyName)]
        [string] $Group,

        [Parameter(ValueFromPipelineByPropertyName)]
        [ValidateRange(1, 86400)]
        [int] $IntervalSeconds,

        [Parameter(ValueFromPipelineByPropertyName)]
        [string] $HttpPath,

        [Parameter(ValueFromPipelineByPropertyName)]
        [string] $Notes,

        [switch] $Disabled
    )
    process {
        $body = [ordered]@{}
        foreach ($parameter in $script:EndpointFields.Keys) {
            if ($PSBoundParameters.ContainsKey($parameter)) {
                $body[$script:EndpointFields[$parameter]] = $PSBoundParameters[$parameter]
            }
        }
        if ($Disabled) {
            $body['enabled'] = $false
        }
        $what = "$Type $Address"
        if ($PSBoundParameters.ContainsKey('Port')) {
            $what = "${what}:$Port"
        }
        if ($PSCmdlet.ShouldProcess($what, 'Add a Pulse endpoint')) {
            $created = Invoke-PulseApi -Method POST -Route '/api/endpoints' -Body $body
            foreach ($warning in $created.warnings) {
                Write-Warning $warning
            }
            [pscustomobject]@{
                PSTypeName      = 'ThingConnectPulse.Endpoint'
                Id              = $created.id
                Name            = $created.name
                Group           = $created.group.id
                Type            = $created.type
                Address         = $created.address
                Enabled         = $created.enabled
                ConfigVersionId = $created.configVersionId
            }
        }
    }
}

function Remove-PulseEndpoint {
    <#
    .SYNOPSIS
    Stops checking an endpoint; its history is kept.

    .DESCRIPTION
    Removes the endpoint's target from Pulse's configuration (DELETE /api/endpoints/{id},
    editor role), which becomes a new configuration version. An endpoint that is one address
    of a range (cidr or wildcard) is refused: edit the range in the YAML instead.

    .PARAMETER EndpointId
    The ids of the endpoints to remove; takes pipeline input, by value or by the Id property.

    .EXAMPLE
    Remove-PulseEndpoint -EndpointId c8a48605b98ed819 -WhatIf

    .EXAMPLE
    Get-PulseEndpointStatus -Group old-line | Remove-PulseEndpoint
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('Id')]
        [string[]] $EndpointId
    )
    process {
        foreach ($id in $EndpointId) {
            if ($PSCmdlet.ShouldProcess($id, 'Stop checking the Pulse endpoint (its history is kept)')) {
                $result = Invoke-PulseApi -Method DELETE -Route '/api/endpoints/{endpoint_id}' -RouteValues @{ endpoint_id = $id }
                Write-Verbose "endpoint $id removed; configuration version $($result.configVersionId) runs"
            }
        }
    }
}

function Export-PulseHistory {
    <#
    .SYNOPSIS
    Saves the checks or rollups of a time range to a CSV or JSON file.

    .DESCRIPTION
    Streams GET /api/export/history into the file at -Path, for every endpoint, one group or
    one endpoint, and outputs the file. The CSV's columns are Pulse's (docs/api.md).

    .PARAMETER Path
    The file to write; an existing one is replaced.

    .PARAMETER Format
    csv (the default) or json.

    .PARAMETER Hours
    The range: the last this many hours (default 24).

    .PARAMETER Start
    The range's start; a time without an offset is local time.

    .PARAMETER End
    The range's end (default: now).

    .PARAMETER Bucket
    raw (every check), 15m or daily (the default).

    .PARAMETER EndpointId
    Only this endpoint.

    .PARAMETER Group
    Only this group, its child groups included.

    .EXAMPLE
    Export-PulseHistory -Format csv -Path .\january.csv -Start 2024-01-01 -End 2024-02-01

    .EXAMPLE
    Export-PulseHistory -Format csv -Path .\today.csv -Hours 24 -Bucket raw -Group line-1
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Hours')]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory)]
        [string] $Path,

        [ValidateSet('csv', 'json')]
        [string] $Format = 'csv',

        [Parameter(ParameterSetName = 'Hours')]
        [ValidateRange(1, 87840)]
        [int] $Hours = 24,

        [Parameter(Mandatory, ParameterSetName = 'Range')]
        [datetime] $Start,

        [Parameter(ParameterSetName = 'Range')]
        [datetime] $End = [datetime]::UtcNow,

        [ValidateSet('raw', '15m', 'daily')]
        [string] $Bucket = 'daily',

        [string] $EndpointId,

        [string] $Group
    )
    $range = if ($PSCmdlet.ParameterSetName -eq 'Hours') { Resolve-PulseRange -Hours $Hours } else { Resolve-PulseRange -Start $Start -End $End }
    $target = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    if ($PSCmdlet.ShouldProcess($target, "Save Pulse's $Bucket history as $Format")) {
        Invoke-PulseApi -Method GET -Route '/api/export/history' -Query @{ format = $Format; bucket = $Bucket; startTime = $range.From; endTime = $range.To; endpointId = $EndpointId; group = $Group } -OutFile $target
        Get-Item -LiteralPath $target
    }
}

function Invoke-PulseApi {
    <#
    .SYNOPSIS
    Sends one request to the connected Pulse and outputs its JSON answer (private).

    .DESCRIPTION
    RouteValues fill the route's {placeholders}, each escaped as one path segment. Query
    entries that are $null or empty are left out; a DateTime is sent as ISO-8601 UTC. An
    error answer becomes one terminating error naming the request, Pulse's message and what
    to do about it. A connection made with -CaFile sends through its own HttpClient
    (Send-PulseRequest), any other through Invoke-RestMethod.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [ValidateSet('GET', 'POST', 'PUT', 'DELETE')]
        [string] $Method,

        [Parameter(Mandatory)]
        [string] $Route,

        [hashtable] $RouteValues = @{},

        [hashtable] $Query = @{},

        [System.Collections.IDictionary] $Body,

        [string] $OutFile
    )
    if ($null -eq $script:PulseConnection) {
        throw 'Not connected to Pulse: run Connect-ThingConnectPulse -Server <url> -Credential (Get-Credential) first.'
    }
    $path = $Route
    foreach ($name in $RouteValues.Keys) {
        $path = $path.Replace("{$name}", [uri]::EscapeDataString([string] $RouteValues[$name]))
    }
    $pairs = [System.Collections.Generic.List[string]]::new()
    foreach ($key in $Query.Keys) {
        $value = $Query[$key]
        if ($value -is [datetime]) {
            $value = $value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [cultureinfo]::InvariantCulture)
        }
        if ($null -ne $value -and "$value" -ne '') {
            $pairs.Add([uri]::EscapeDataString($key) + '=' + [uri]::EscapeDataString([string] $value))
        }
    }
    $uri = $script:PulseConnection.Server + $path
    if ($pairs.Count -gt 0) {
        $uri = $uri + '?' + ($pairs -join '&')
    }
    $request = @{
        Method      = $Method
        Uri         = $uri
        Headers     = $script:PulseConnection.Headers
        ErrorAction = 'Stop'
    }
    if ($PSBoundParameters.ContainsKey('Body')) {
        $request['Body'] = $Body | ConvertTo-Json -Depth 5 -Compress
        $request['ContentType'] = 'application/json; charset=utf-8'
    }
    if ($OutFile) {
        $request['OutFile'] = $OutFile
    }
    try {
        if ($null -ne $script:PulseConnection.CaClient) {
            Send-PulseRequest @request -Client $script:PulseConnection.CaClient
        }
        else {
            Invoke-RestMethod @request -TimeoutSec $script:PulseConnection.TimeoutSec -SkipCertificateCheck:$script:PulseConnection.SkipCertificateCheck
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((New-PulseErrorRecord -ErrorRecord $_ -Request "$Method $path"))
    }
}

function New-PulseCaClient {
    <#
    .SYNOPSIS
    The HttpClient of a connection made with -CaFile: it trusts that file's certificates only (private).

    .DESCRIPTION
    Invoke-RestMethod cannot be given trusted roots, so such a connection sends through an
    HttpClient whose certificate check is ThingConnectPulse.CaTrust (CaTrust.cs, compiled
    once per session by Add-Type). Outputs the file's path, the trust (which tells why it
    refused a certificate) and the client.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [string] $Server,

        [Parameter(Mandatory)]
        [string] $Path,

        [Parameter(Mandatory)]
        [int] $TimeoutSec,

        [switch] $SkipCertificateCheck
    )
    if ($SkipCertificateCheck) {
        throw '-CaFile and -SkipCertificateCheck exclude each other: leave out -SkipCertificateCheck to check the certificate against the CA of -CaFile'
    }
    if ($Server -notmatch '^https://') {
        throw "-CaFile is for a Pulse served over https, and $Server is not: give -Server as https://..., or leave out -CaFile"
    }
    if ($PSVersionTable.PSVersion -lt [version] '7.1') {
        throw "-CaFile needs PowerShell 7.1 or newer (trusted roots of one's own came with .NET 5), and this is $($PSVersionTable.PSVersion): update PowerShell, or trust the CA in the system's store and leave out -CaFile"
    }
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        throw "-CaFile: there is no file $Path; give the PEM file of the CA that signed Pulse's certificate"
    }
    if (-not ('ThingConnectPulse.CaTrust' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'CaTrust.cs')
    }
    try {
        $trust = [ThingConnectPulse.CaTrust]::new($Path)
    }
    catch [System.Management.Automation.MethodInvocationException] {
        # the constructor's own message, not PowerShell's "Exception calling .ctor" around it
        throw $_.Exception.InnerException.Message
    }
    Write-Verbose ("-CaFile: trusting only {0}" -f ($trust.Subjects -join '; '))
    $client = [System.Net.Http.HttpClient]::new($trust.CreateHandler())
    $client.Timeout = [timespan]::FromSeconds($TimeoutSec)
    [pscustomobject]@{
        Path       = $Path
        Trust      = $trust
        HttpClient = $client
    }
}

function Send-PulseRequest {
    <#
    .SYNOPSIS
    What Invoke-RestMethod does for the module, through the HttpClient of a -CaFile connection (private).

    .DESCRIPTION
    Takes Invoke-RestMethod's parameters that Invoke-PulseApi uses. Outputs the JSON answer
    as objects, or streams it into OutFile. An error answer throws what Invoke-RestMethod
    throws (the response in Exception.Response, Pulse's body in ErrorDetails), and a failed
    connection an error whose message says why, the refused certificate's reason first, so
    New-PulseErrorRecord reports both paths alike.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [pscustomobject] $Client,

        [Parameter(Mandatory)]
        [string] $Method,

        [Parameter(Mandatory)]
        [string] $Uri,

        [Parameter(Mandatory)]
        [hashtable] $Headers,

        [string] $Body,

        [string] $ContentType,

        [string] $OutFile
    )
    $message = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), $Uri)
    foreach ($name in $Headers.Keys) {
        $null = $message.Headers.TryAddWithoutValidation($name, [string] $Headers[$name])
    }
    if ($PSBoundParameters.ContainsKey('Body')) {
        $message.Content = [System.Net.Http.StringContent]::new($Body, [System.Text.Encoding]::UTF8)
        $message.Content.Headers.ContentType = [System.Net.Http.Headers.MediaTypeHeaderValue]::Parse($ContentType)
    }
    try {
        $response = $Client.HttpClient.SendAsync($message, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead).GetAwaiter().GetResult()
    }
    catch {
        $reason = $Client.Trust.TakeRefusal()
        if (-not $reason) {
            $reason = Get-PulseFailureReason -Exception $_.Exception
        }
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                [System.Net.Http.HttpRequestException]::new($reason, $_.Exception),
                'ThingConnectPulse.ConnectionFailed',
                [System.Management.Automation.ErrorCategory]::ConnectionError,
                $Uri
            ))
    }
    if (-not $response.IsSuccessStatusCode) {
        $answer = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        $failure = [Microsoft.PowerShell.Commands.HttpResponseException]::new(
            ('Response status code does not indicate success: {0} ({1}).' -f [int] $response.StatusCode, $response.ReasonPhrase),
            $response
        )
        $record = [System.Management.Automation.ErrorRecord]::new($failure, 'WebCmdletWebResponseException', [System.Management.Automation.ErrorCategory]::InvalidOperation, $Uri)
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($answer)
        $PSCmdlet.ThrowTerminatingError($record)
    }
    try {
        if ($OutFile) {
            $file = [System.IO.File]::Create($OutFile)
            try {
                $response.Content.CopyToAsync($file).GetAwaiter().GetResult()
            }
            finally {
                $file.Dispose()
            }
        }
        else {
            $answer = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
            if ($answer) {
                $answer | ConvertFrom-Json
            }
        }
    }
    finally {
        $response.Dispose()
    }
}

function Get-PulseFailureReason {
    <#
    .SYNOPSIS
    Why HttpClient could not send a request, in its own words (private).

    .DESCRIPTION
    Under PowerShell's "Exception calling ..." lies HttpClient's exception, such as
    "Connection refused (127.0.0.1:8080)". Its innermost exception's message follows when it
    says more: "The SSL connection could not be established, see inner exception" alone
    would not say why.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [System.Exception] $Exception
    )
    $failure = $Exception
    while ($failure -is [System.Management.Automation.MethodInvocationException] -and $null -ne $failure.InnerException) {
        $failure = $failure.InnerException
    }
    $reason = $failure.Message
    $innermost = $failure.GetBaseException().Message
    if (-not $reason.Contains($innermost)) {
        $reason = '{0}: {1}' -f $reason.TrimEnd('.'), $innermost
    }
    $reason
}

function New-PulseErrorRecord {
    <#
    .SYNOPSIS
    The error for a failed request: Pulse's own message, the status, and what to do (private).
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.ErrorRecord] $ErrorRecord,

        [Parameter(Mandatory)]
        [string] $Request
    )
    $status = 0
    $response = $ErrorRecord.Exception.PSObject.Properties['Response']
    if ($null -ne $response -and $null -ne $response.Value) {
        $status = [int] $response.Value.StatusCode
    }
    $message = $ErrorRecord.Exception.Message
    if ($null -ne $ErrorRecord.ErrorDetails -and $ErrorRecord.ErrorDetails.Message) {
        $message = $ErrorRecord.ErrorDetails.Message
        try {
            $answer = $message | ConvertFrom-Json -ErrorAction Stop
            if ($answer.PSObject.Properties['message']) {
                $message = $answer.message
            }
        }
        catch {
            # not JSON (a proxy's error page, say): keep the text as it came
            $null = $_
        }
    }
    $category = 'NotSpecified'
    if ($script:ErrorCategories.ContainsKey($status)) {
        $category = $script:ErrorCategories[$status]
    }
    $hint = $script:ErrorHints[$status]
    if ($status -eq 0) {
        $text = 'cannot reach Pulse for {0}: {1}' -f $Request, $message
    }
    else {
        $text = 'Pulse refused {0} (HTTP {1}): {2}' -f $Request, $status, $message
    }
    if ($hint) {
        $text = $text + '; ' + $hint
    }
    [System.Management.Automation.ErrorRecord]::new(
        [System.Exception]::new($text, $ErrorRecord.Exception),
        "ThingConnectPulse.Http$status",
        [System.Management.Automation.ErrorCategory] $category,
        $Request
    )
}

function Resolve-PulseRange {
    <#
    .SYNOPSIS
    The UTC range that -Hours, or -Start and -End, give (private).
    #>
    [CmdletBinding(DefaultParameterSetName = 'Hours')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Hours')]
        [int] $Hours,

        [Parameter(Mandatory, ParameterSetName = 'Range')]
        [datetime] $Start,

        [Parameter(Mandatory, ParameterSetName = 'Range')]
        [datetime] $End
    )
    if ($PSCmdlet.ParameterSetName -eq 'Hours') {
        $to = [datetime]::UtcNow
        $from = $to.AddHours(-$Hours)
    }
    else {
        $from = $Start.ToUniversalTime()
        $to = $End.ToUniversalTime()
    }
    if ($from -ge $to) {
        throw ('-Start ({0:o}) must be before -End ({1:o})' -f $from, $to)
    }
    [pscustomobject]@{ From = $from; To = $to }
}

function Get-PulseFinestBucket {
    <#
    .SYNOPSIS
    The finest bucket Pulse serves for a range: raw up to 2 days, 15m up to 93, else daily (private).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [pscustomobject] $Range
    )
    $days = ($Range.To - $Range.From).TotalDays
    if ($days -le 2) {
        'raw'
    }
    elseif ($days -le 93) {
        '15m'
    }
    else {
        'daily'
    }
}

function ConvertTo-PulseEndpointStatus {
    <#
    .SYNOPSIS
    One item of /api/status/live as a flat object (private).
    #>
    [CmdletBinding()]
    [OutputType('ThingConnectPulse.EndpointStatus')]
    param(
        [Parameter(Mandatory, ValueFromPipeline)]
        [psobject] $Item
    )
    process {
        [pscustomobject]@{
            PSTypeName = 'ThingConnectPulse.EndpointStatus'
            Id         = $Item.endpoint.id
            Name       = $Item.endpoint.name
            Group      = $Item.endpoint.group.id
            Type       = $Item.endpoint.type
            Address    = $Item.endpoint.address
            Status     = $Item.status
            RttMs      = $Item.rttMs
            LastChange = $Item.lastChangeTs
            Enabled    = $Item.endpoint.enabled
        }
    }
}

function ConvertTo-PulseRollup {
    <#
    .SYNOPSIS
    One 15-minute or daily bucket of an endpoint's history as an object (private).
    #>
    [CmdletBinding()]
    [OutputType('ThingConnectPulse.Rollup')]
    param(
        [Parameter(Mandatory, ValueFromPipeline)]
        [psobject] $Row,

        [Parameter(Mandatory)]
        [string] $EndpointId,

        [Parameter(Mandatory)]
        [string] $Bucket,

        [Parameter(Mandatory)]
        [string] $TimeKey
    )
    process {
        [pscustomobject]@{
            PSTypeName = 'ThingConnectPulse.Rollup'
            EndpointId = $EndpointId
            Bucket     = $Bucket
            Timestamp  = $Row.$TimeKey
            UpPct      = $Row.upPct
            AvgRttMs   = $Row.avgRttMs
            DownEvents = $Row.downEvents
        }
    }
}
